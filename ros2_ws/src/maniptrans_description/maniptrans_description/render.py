"""Offscreen picture of the rig (MuJoCo + OSMesa/EGL) and a dependency-free PNG writer.

Rendering needs an OpenGL backend: ``MUJOCO_GL=osmesa`` (Debian ``libosmesa6``, installed by
``make setup``; env.sh sets it) or ``MUJOCO_GL=egl``.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from .errors import DescriptionError
from .inspire import actuators_to_sim_joints, sim_joint_names
from .rm75 import joint_names
from .sides import SIDES

# Display pose: both arms reach forward and inward over the table, hands half closed.
DISPLAY_ARM_Q = {
    "left": (-0.3, 0.55, 0.0, 1.45, 0.3, 0.5, 0.0),
    "right": (0.3, 0.55, 0.0, 1.45, -0.3, 0.5, 0.0),
}
DISPLAY_HAND_ACT = (0.9, 0.7, 0.5, 0.3, 0.25, 0.9)  # little .. thumb rotation [rad]


def render_rig(mjcf_xml: str, width: int = 1280, height: int = 800) -> np.ndarray:
    """RGB image (height, width, 3) uint8 of the rig MJCF text in the display pose."""
    import mujoco

    model = mujoco.MjModel.from_xml_string(mjcf_xml)
    data = mujoco.MjData(model)
    for side in SIDES:
        for name, value in zip(joint_names(side), DISPLAY_ARM_Q[side], strict=True):
            data.joint(name).qpos = value
        q_hand = actuators_to_sim_joints(side, DISPLAY_HAND_ACT)
        for name, value in zip(sim_joint_names(side), q_hand, strict=True):
            data.joint(name).qpos = value
    mujoco.mj_forward(model, data)
    try:
        renderer = mujoco.Renderer(model, height=height, width=width)
    except Exception as exc:  # the GL backend raises several unrelated types
        raise DescriptionError(
            f"offscreen rendering failed ({type(exc).__name__}: {exc}); set MUJOCO_GL=osmesa "
            "with libosmesa6 installed (`make setup`) or MUJOCO_GL=egl, or pass --no-render"
        ) from exc
    try:
        renderer.update_scene(data, camera="overview")
        return renderer.render().copy()
    finally:
        renderer.close()


def png_bytes(rgb: np.ndarray) -> bytes:
    """An 8-bit RGB PNG (zlib level 9, no filter) of an (H, W, 3) uint8 array."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise DescriptionError(f"PNG image must have shape (H, W, 3), found {rgb.shape}")
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[row].tobytes() for row in range(height))

    def chunk(tag: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(tag + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def write_png(path: Path, rgb: np.ndarray) -> None:
    """Write ``rgb`` (H, W, 3) uint8 as a PNG file."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(png_bytes(rgb))
