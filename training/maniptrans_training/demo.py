"""Human demonstrations: the in-memory form, its npz file, loaders, 60 Hz resampling, mirroring.

A demo holds, per hand (``"right"``/``"left"``), the wrist pose and 21 keypoints, plus the objects'
poses and meshes, all in one world frame [m], sampled at ``fps`` [Hz].

Keypoint order (:data:`KEYPOINT_NAMES`, 21)::

    0 wrist
    1-4   thumb_proximal (CMC), thumb_intermediate (MCP), thumb_distal (IP), thumb_tip
    5-8   index_proximal (MCP), index_intermediate (PIP), index_distal (DIP), index_tip
    9-12  middle_...   13-16 ring_...   17-20 pinky_...

Wrist frame convention (the same as the Inspire hand base frame, so the human wrist maps to the
sim wrist without a fixed offset rotation): origin at the wrist keypoint, −y points from the
wrist to the fingers, the palm faces −x; the right thumb is on the −z side, the left thumb on
+z (the left hand is the right hand mirrored through its local x-y plane).

File (``.npz``, read with ``allow_pickle=False``): ``fps``, ``name``, ``sides``; per side
``<side>_wrist_pos`` (T, 3), ``<side>_wrist_quat`` (T, 4, x y z w), ``<side>_keypoints``
(T, 21, 3), ``<side>_object`` (index into the objects, −1 = none); ``object_names``; per object
``object<i>_poses`` (T, 4, 4), ``object<i>_vertices`` (V, 3), ``object<i>_faces`` (F, 3);
optional ``meta_json`` (a JSON object as a string: primitive, interaction mode, ...).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import h5py
import numpy as np

from maniptrans_training.errors import TrainingError
from maniptrans_training.rotations import (
    axis_angle_to_matrix,
    matrix_to_quat,
    quat_to_matrix,
    reflection,
    slerp_matrices,
)

Side = Literal["left", "right"]
SIDES: tuple[Side, ...] = ("right", "left")
FINGERS = ("thumb", "index", "middle", "ring", "pinky")
SEGMENTS = ("proximal", "intermediate", "distal", "tip")
KEYPOINT_NAMES: tuple[str, ...] = ("wrist", *(f"{f}_{s}" for f in FINGERS for s in SEGMENTS))
TIP_INDICES = (4, 8, 12, 16, 20)  # thumb, index, middle, ring, pinky tips
MCP_INDICES = (2, 5, 9, 13, 17)  # thumb MCP, finger MCPs
SIM_FPS = 60.0  # [Hz]
MAX_HAND_SPAN = 0.5  # [m] farthest a keypoint may lie from its wrist (unit check)


def other_side(side: Side) -> Side:
    return "left" if side == "right" else "right"


@dataclass(frozen=True)
class HandDemo:
    """One human hand over T frames, world frame.

    Attributes:
        wrist_pos: (T, 3) wrist position [m].
        wrist_rot: (T, 3, 3) wrist orientation (module docstring convention).
        keypoints: (T, 21, 3) keypoint positions [m] in :data:`KEYPOINT_NAMES` order.
        object_index: index of the object this hand manipulates, −1 for none.
    """

    wrist_pos: np.ndarray
    wrist_rot: np.ndarray
    keypoints: np.ndarray
    object_index: int = -1

    @property
    def num_frames(self) -> int:
        return int(self.wrist_pos.shape[0])


@dataclass(frozen=True)
class DemoObject:
    """A rigid object: poses (T, 4, 4) object->world [m], mesh in the object frame [m]."""

    name: str
    poses: np.ndarray
    vertices: np.ndarray
    faces: np.ndarray


@dataclass(frozen=True)
class Demo:
    """A (bi)manual human demonstration; see the module docstring for frames and orders."""

    name: str
    fps: float
    hands: dict[Side, HandDemo]
    objects: tuple[DemoObject, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        validate_demo(self)

    @property
    def num_frames(self) -> int:
        return next(iter(self.hands.values())).num_frames

    @property
    def sides(self) -> tuple[Side, ...]:
        return tuple(s for s in SIDES if s in self.hands)

    @property
    def duration(self) -> float:
        """[s] from the first to the last frame."""
        return (self.num_frames - 1) / self.fps

    def object_of(self, side: Side) -> DemoObject | None:
        i = self.hands[side].object_index
        return self.objects[i] if i >= 0 else None


def _shape_ok(a: np.ndarray, shape: tuple[int | None, ...]) -> bool:
    return a.ndim == len(shape) and all(
        s is None or s == n for s, n in zip(shape, a.shape, strict=True)
    )


def _check(a: Any, key: str, shape: tuple[int | None, ...], where: str) -> np.ndarray:
    arr = np.asarray(a)
    if not _shape_ok(arr, shape):
        want = "(" + ", ".join("N" if s is None else str(s) for s in shape) + ")"
        raise TrainingError(f"{where}: '{key}' expected shape {want}, found {arr.shape}")
    if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        raise TrainingError(f"{where}: '{key}' has non-finite values")
    return arr


def validate_demo(demo: Demo, where: str | None = None) -> None:
    """Raise :class:`TrainingError` naming the key and the expected shape on any mismatch."""
    where = where or f"demo {demo.name!r}"
    if not demo.hands:
        raise TrainingError(f"{where}: needs at least one hand, found none")
    if not demo.fps > 0:
        raise TrainingError(f"{where}: 'fps' must be > 0 [Hz], found {demo.fps}")
    T = None
    for side, h in demo.hands.items():
        if side not in SIDES:
            raise TrainingError(f"{where}: hand side must be one of {SIDES}, found {side!r}")
        n = np.asarray(h.wrist_pos).shape[0] if np.ndim(h.wrist_pos) else 0
        T = n if T is None else T
        _check(h.wrist_pos, f"{side}_wrist_pos", (T, 3), where)
        R = _check(h.wrist_rot, f"{side}_wrist_rot", (T, 3, 3), where)
        if not np.allclose(R @ np.swapaxes(R, -1, -2), np.eye(3), atol=1e-4):
            raise TrainingError(f"{where}: '{side}_wrist_rot' is not a rotation matrix batch")
        kp = _check(h.keypoints, f"{side}_keypoints", (T, 21, 3), where)
        span = float(np.max(np.abs(kp - np.asarray(h.wrist_pos)[:, None])))
        if span > MAX_HAND_SPAN:
            raise TrainingError(
                f"{where}: '{side}_keypoints' lie up to {span:.3g} from the wrist; expected "
                f"metres (< {MAX_HAND_SPAN} m) - millimetres or another frame?"
            )
        if not -1 <= h.object_index < len(demo.objects):
            raise TrainingError(
                f"{where}: '{side}_object' must be in [-1, {len(demo.objects)}), "
                f"found {h.object_index}"
            )
    if T is None or T < 2:
        raise TrainingError(f"{where}: needs at least 2 frames, found {T}")
    for i, o in enumerate(demo.objects):
        _check(o.poses, f"object{i}_poses", (T, 4, 4), where)
        _check(o.vertices, f"object{i}_vertices", (None, 3), where)
        f = _check(o.faces, f"object{i}_faces", (None, 3), where)
        if f.size and (f.min() < 0 or f.max() >= len(o.vertices)):
            raise TrainingError(f"{where}: 'object{i}_faces' index a vertex that does not exist")


# --------------------------------------------------------------------------------------------
# npz file


def save_demo(demo: Demo, path: str | Path) -> Path:
    """Write ``demo`` as an ``.npz`` (no pickled objects inside)."""
    out: dict[str, np.ndarray] = {
        "fps": np.array(demo.fps),
        "name": np.array(demo.name),
        "sides": np.array(list(demo.sides)),
        "object_names": np.array([o.name for o in demo.objects], dtype=str),
        "meta_json": np.array(json.dumps(demo.meta)),
    }
    for side, h in demo.hands.items():
        out[f"{side}_wrist_pos"] = h.wrist_pos
        out[f"{side}_wrist_quat"] = matrix_to_quat(h.wrist_rot)
        out[f"{side}_keypoints"] = h.keypoints
        out[f"{side}_object"] = np.array(h.object_index)
    for i, o in enumerate(demo.objects):
        out[f"object{i}_poses"] = o.poses
        out[f"object{i}_vertices"] = o.vertices
        out[f"object{i}_faces"] = o.faces
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **out)
    return path


def load_demo(path: str | Path) -> Demo:
    """Read a demo ``.npz`` written by :func:`save_demo` (or by hand in the same layout)."""
    path = Path(path)
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise TrainingError(f"{path}: cannot read as a demo npz ({exc})") from exc
    with data:

        def get(key: str) -> np.ndarray:
            if key not in data:
                raise TrainingError(f"{path}: missing key '{key}'")
            return data[key]

        sides = [str(s) for s in get("sides")]
        hands = {}
        for side in sides:
            q = _check(get(f"{side}_wrist_quat"), f"{side}_wrist_quat", (None, 4), str(path))
            hands[side] = HandDemo(
                wrist_pos=get(f"{side}_wrist_pos").astype(float),
                wrist_rot=quat_to_matrix(q),
                keypoints=get(f"{side}_keypoints").astype(float),
                object_index=int(get(f"{side}_object")),
            )
        objects = tuple(
            DemoObject(
                name=str(n),
                poses=get(f"object{i}_poses").astype(float),
                vertices=get(f"object{i}_vertices").astype(float),
                faces=get(f"object{i}_faces").astype(np.int64),
            )
            for i, n in enumerate(get("object_names"))
        )
        meta = json.loads(str(data["meta_json"])) if "meta_json" in data else {}
        try:
            return Demo(str(get("name")), float(get("fps")), hands, objects, meta)
        except TrainingError as exc:
            raise TrainingError(f"{path}: {exc}") from exc


# --------------------------------------------------------------------------------------------
# reference-code per-sequence dictionaries (npz / HDF5, never pickle)


def wrist_frame_from_keypoints(kp: np.ndarray, side: Side) -> np.ndarray:
    """(..., 21, 3) keypoints -> (..., 3, 3) wrist orientation in this module's convention.

    −y along wrist -> middle MCP; z across the palm from the index MCP toward the pinky MCP for
    the right hand (toward the index for the left); x = y × z (the back of the hand).
    """
    kp = np.asarray(kp, dtype=float)
    y = -(kp[..., 9, :] - kp[..., 0, :])
    y /= np.linalg.norm(y, axis=-1, keepdims=True)
    across = kp[..., 17, :] - kp[..., 5, :]
    if side == "left":
        across = -across
    z = across - np.sum(across * y, axis=-1, keepdims=True) * y
    z /= np.linalg.norm(z, axis=-1, keepdims=True)
    x = np.cross(y, z)
    return np.stack([x, y, z], axis=-1)


@dataclass(frozen=True)
class ReferenceKeys:
    """Key names of a reference-code preprocessed sequence (override for other exports)."""

    obj_trajectory: str = "obj_trajectory"  # (T, 4, 4)
    wrist_pos: str = "wrist_pos"  # (T, 3) [m]
    wrist_rot: str = "wrist_rot"  # (T, 3) axis-angle [rad]
    joints_prefix: str = "mano_joints/"  # + <finger>_<segment>, each (T, 3) [m]
    obj_verts: str = "obj_verts"  # (V, 3) [m] object frame
    obj_faces: str = "obj_faces"  # (F, 3) optional
    obj_path: str = "obj_urdf_path"  # optional string


def _read_flat(path: Path) -> dict[str, np.ndarray]:
    """Every array of an npz or HDF5 file, HDF5 groups flattened to ``group/key``."""
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as d:
            return {k: d[k] for k in d.files}
    if path.suffix in (".h5", ".hdf5"):
        out: dict[str, np.ndarray] = {}
        with h5py.File(path, "r") as f:
            f.visititems(
                lambda k, v: out.__setitem__(k, v[()]) if isinstance(v, h5py.Dataset) else None
            )
        return out
    raise TrainingError(f"{path}: expected a .npz, .h5 or .hdf5 file (pickle is refused)")


def load_reference_sequence(
    path: str | Path,
    side: Side,
    fps: float = SIM_FPS,
    keys: ReferenceKeys = ReferenceKeys(),
    wrist_rotation: Literal["file", "keypoints"] = "keypoints",
) -> Demo:
    """Load one hand's preprocessed sequence of the reference code from npz/HDF5.

    The file holds the object trajectory, the wrist position and axis-angle rotation and 20 named
    hand joints (``<finger>_<segment>``, see :data:`KEYPOINT_NAMES`). With
    ``wrist_rotation="keypoints"`` (default) the wrist orientation is rebuilt from the keypoints
    in this module's convention, which makes the loader independent of the source's wrist frame.
    Two one-hand files make a bimanual demo via :func:`merge_hands`.
    """
    path = Path(path)
    try:
        data = _read_flat(path)
    except OSError as exc:
        raise TrainingError(f"{path}: cannot read ({exc})") from exc
    where = str(path)

    def need(key: str, shape: tuple[int | None, ...]) -> np.ndarray:
        if key not in data:
            raise TrainingError(f"{where}: missing key '{key}' (expected shape {shape})")
        return _check(data[key], key, shape, where).astype(float)

    obj = need(keys.obj_trajectory, (None, 4, 4))
    T = obj.shape[0]
    pos = need(keys.wrist_pos, (T, 3))
    rotvec = need(keys.wrist_rot, (T, 3))
    kp = np.zeros((T, 21, 3))
    kp[:, 0] = pos
    for i, name in enumerate(KEYPOINT_NAMES[1:], start=1):
        kp[:, i] = need(keys.joints_prefix + name, (T, 3))
    R = axis_angle_to_matrix(rotvec) if wrist_rotation == "file" else None
    if R is None:
        R = wrist_frame_from_keypoints(kp, side)
    verts = need(keys.obj_verts, (None, 3))
    faces = (
        _check(data[keys.obj_faces], keys.obj_faces, (None, 3), where).astype(np.int64)
        if keys.obj_faces in data
        else np.zeros((0, 3), np.int64)
    )
    obj_name = str(data[keys.obj_path]) if keys.obj_path in data else path.stem
    hand = HandDemo(wrist_pos=pos, wrist_rot=R, keypoints=kp, object_index=0)
    return Demo(path.stem, fps, {side: hand}, (DemoObject(obj_name, obj, verts, faces),))


def merge_hands(right: Demo, left: Demo, name: str | None = None) -> Demo:
    """Bimanual demo from a right-hand and a left-hand demo of equal length and fps."""
    if right.fps != left.fps or right.num_frames != left.num_frames:
        raise TrainingError(
            f"merge_hands: need equal fps and length, found {right.fps} Hz/{right.num_frames} "
            f"and {left.fps} Hz/{left.num_frames}"
        )
    r, lh = right.hands["right"], left.hands["left"]
    off = len(right.objects)
    lh = replace(lh, object_index=lh.object_index + off if lh.object_index >= 0 else -1)
    return Demo(
        name or f"{right.name}+{left.name}",
        right.fps,
        {"right": r, "left": lh},
        right.objects + left.objects,
    )


# --------------------------------------------------------------------------------------------
# resampling and mirroring


def resample_demo(demo: Demo, fps: float = SIM_FPS) -> Demo:
    """The same motion sampled at ``fps`` [Hz]: positions linearly, rotations by slerp.

    Frames run from 0 to the demo's duration (the last source frame is kept when the duration is
    a multiple of the new period).
    """
    if not fps > 0:
        raise TrainingError(f"resample_demo: fps must be > 0 [Hz], found {fps}")
    t_src = np.arange(demo.num_frames) / demo.fps
    n = int(np.floor(demo.duration * fps + 1e-9)) + 1
    t = np.arange(n) / fps

    def lerp(x: np.ndarray) -> np.ndarray:
        flat = x.reshape(x.shape[0], -1)
        cols = [np.interp(t, t_src, flat[:, j]) for j in range(flat.shape[1])]
        return np.stack(cols, axis=1).reshape(n, *x.shape[1:])

    hands = {
        s: replace(
            h,
            wrist_pos=lerp(h.wrist_pos),
            wrist_rot=slerp_matrices(t_src, h.wrist_rot, t),
            keypoints=lerp(h.keypoints),
        )
        for s, h in demo.hands.items()
    }
    objects = []
    for o in demo.objects:
        P = np.zeros((n, 4, 4))
        P[:, :3, :3] = slerp_matrices(t_src, o.poses[:, :3, :3], t)
        P[:, :3, 3] = lerp(o.poses[:, :3, 3])
        P[:, 3, 3] = 1.0
        objects.append(replace(o, poses=P))
    return replace(demo, fps=float(fps), hands=hands, objects=tuple(objects))


def mirror_demo(demo: Demo, axis: int = 1, origin: float = 0.0) -> Demo:
    """Swap left and right by reflecting the world through the plane ``x[axis] = origin``.

    The mirrored right hand becomes the left hand and vice versa: keypoints and wrist positions
    are reflected; a wrist frame R becomes M·R·S (M the world reflection, S = diag(1, 1, −1) the
    hand's own left/right mirror), a proper rotation in the other hand's convention. Objects are
    reflected as rigid bodies with a mirrored mesh (pose M·R·M, vertices M·v, faces re-wound).
    Mirroring twice gives back the original demo.
    """
    if axis not in (0, 1, 2):
        raise TrainingError(f"mirror_demo: axis must be 0, 1 or 2, found {axis}")
    M = reflection(axis)
    S = reflection(2)
    shift = np.zeros(3)
    shift[axis] = 2.0 * origin

    def pts(p: np.ndarray) -> np.ndarray:
        return p @ M + shift  # M is symmetric

    hands = {
        other_side(s): replace(
            h,
            wrist_pos=pts(h.wrist_pos),
            wrist_rot=M @ h.wrist_rot @ S,
            keypoints=pts(h.keypoints),
        )
        for s, h in demo.hands.items()
    }
    objects = []
    for o in demo.objects:
        P = o.poses.copy()
        P[:, :3, :3] = M @ o.poses[:, :3, :3] @ M
        P[:, :3, 3] = pts(o.poses[:, :3, 3])
        objects.append(replace(o, poses=P, vertices=o.vertices @ M, faces=o.faces[:, ::-1].copy()))
    return replace(demo, hands=hands, objects=tuple(objects))


def demo_summary(demo: Demo) -> Mapping[str, Any]:
    """Short description for logs: frames, duration [s], sides, objects."""
    return {
        "name": demo.name,
        "frames": demo.num_frames,
        "fps": demo.fps,
        "duration_s": round(demo.duration, 3),
        "sides": demo.sides,
        "objects": [o.name for o in demo.objects],
    }
