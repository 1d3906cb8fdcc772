"""Offscreen video of a replay: the rig's MuJoCo model posed by the measured joint states.

Uses MuJoCo's offscreen renderer (``MUJOCO_GL=osmesa`` or ``egl`` on a headless machine) and
writes a GIF (Pillow) or, for ``.mp4``, pipes frames to ``ffmpeg`` when it is on PATH.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from maniptrans_bringup.errors import BringupError
from maniptrans_bringup.report import Replay, zoh
from maniptrans_bringup.topics import SIDES, measured


def rig_qpos_track(replay: Replay, model, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """(F,) times and (F, nq) rig poses at ``fps`` from the measured arm and hand states."""
    from maniptrans_description.inspire import (
        actuator_names,
        actuators_to_sim_joints,
        sim_joint_names,
    )
    from maniptrans_description.loaders import mujoco_qpos_indices
    from maniptrans_description.rm75 import joint_names

    tracks = [replay.get(measured(s, d)) for s in SIDES for d in ("arm", "hand")]
    present = [s for s in tracks if s is not None]
    if not present:
        raise BringupError(f"{replay.path}: no measured joint states to render")
    t0 = min(s.t[0] for s in present)
    t1 = max(s.t[-1] for s in present)
    times = np.arange(t0, t1, 1.0 / fps)
    qpos = np.tile(model.qpos0, (times.size, 1))
    for side in SIDES:
        arm = replay.get(measured(side, "arm"))
        if arm is not None:
            names = list(joint_names(side))  # type: ignore[arg-type]
            inside, q = zoh(arm.t, arm.columns(names), times)
            qpos[np.ix_(inside, mujoco_qpos_indices(model, names))] = q
        hand = replay.get(measured(side, "hand"))
        if hand is not None:
            q_act = hand.columns(list(actuator_names(side)))  # type: ignore[arg-type]
            inside, q = zoh(hand.t, q_act, times)
            names = list(sim_joint_names(side))  # type: ignore[arg-type]
            q12 = actuators_to_sim_joints(side, q)  # type: ignore[arg-type]
            qpos[np.ix_(inside, mujoco_qpos_indices(model, names))] = q12
    return times, qpos


def render_video(
    replay: Replay, out: Path, *, fps: float = 10.0, width: int = 320, height: int = 240
) -> Path:
    """Render the replay to ``out`` (``.gif`` or ``.mp4``); returns the written path."""
    import mujoco

    from maniptrans_description.loaders import load_mujoco

    model = load_mujoco("bimanual_rig")
    data = mujoco.MjData(model)
    _times, qpos = rig_qpos_track(replay, model, fps)
    try:
        renderer = mujoco.Renderer(model, height=height, width=width)
    except Exception as exc:  # no GL backend
        raise BringupError(
            f"offscreen rendering unavailable ({exc}); set MUJOCO_GL=osmesa or egl"
        ) from exc
    cam = mujoco.MjvCamera()
    cam.lookat[:] = [0.35, 0.0, 0.25]
    cam.distance, cam.azimuth, cam.elevation = 1.8, 180.0, -25.0
    frames = []
    for q in qpos:
        data.qpos[:] = q
        mujoco.mj_forward(model, data)
        renderer.update_scene(data, camera=cam)
        frames.append(renderer.render().copy())
    renderer.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".mp4":
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise BringupError("writing .mp4 needs ffmpeg on PATH; use a .gif name instead")
        cmd = [
            ffmpeg,
            "-y",
            "-loglevel",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            f"{width}x{height}",
            "-r",
            str(fps),
            "-i",
            "-",
            "-pix_fmt",
            "yuv420p",
            str(out),
        ]
        subprocess.run(cmd, input=np.stack(frames).tobytes(), check=True)
        return out
    from PIL import Image

    imgs = [Image.fromarray(f) for f in frames]
    imgs[0].save(out, save_all=True, append_images=imgs[1:], duration=int(1000 / fps), loop=0)
    return out


__all__ = ["render_video", "rig_qpos_track"]
