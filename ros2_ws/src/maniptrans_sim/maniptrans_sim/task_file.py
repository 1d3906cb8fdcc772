"""Transferred tasks in the DexManipNet layout: the one reader and writer (numpy + h5py only).

A sequence folder ``<name>_<rh|lh|bih>/`` holds::

    rollouts.hdf5
        rollouts/successful/rollout_<k>/
            q_<s>              (T, 12)  sim-hand joint positions [rad], facts order
            dq_<s>             (T, 12)  joint velocities [rad/s]
            state_<s>          (T, 13)  hand base: position [m], quaternion x y z w,
                                        linear velocity [m/s], angular velocity [rad/s]
            state_manip_obj_<s>(T, 13)  manipulated object, same layout
            tip_force_<s>      (T, 15)  5 fingertip contact forces [N] (thumb..pinky, x y z each)
            reward             (T,)
            actions            (T, A)
    seq_info.json           seq_len, dexhand, type, primitive, primitive_rh, primitive_lh,
                            interaction_mode, oid_rh, oid_lh, obj_rh_path, obj_lh_path,
                            start_frame

with ``<s>`` = ``rh`` (right) or ``lh`` (left); a ``bih`` sequence has both. Frames are 60 Hz.
Unknown datasets in a rollout and unknown keys of ``seq_info.json`` are kept (``extra``) and
written back, so export -> import -> export is lossless (dtypes are preserved too).

Usage::

    task = load_task("sequences/pour_bih")          # best successful rollout
    q = task.hands["right"].q                       # (T, 12)
    save_task(task, "out/pour_bih")
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import h5py
import numpy as np

Side = Literal["left", "right"]
SIDES: tuple[Side, ...] = ("right", "left")
SUFFIX: dict[str, str] = {"right": "rh", "left": "lh"}
SEQ_TYPES: dict[str, tuple[Side, ...]] = {"rh": ("right",), "lh": ("left",), "bih": SIDES}
FPS = 60.0  # frame rate of every transferred task [Hz]
ROLLOUTS_FILE = "rollouts.hdf5"
SEQ_INFO_FILE = "seq_info.json"
SUCCESS_GROUP = "rollouts/successful"
QUAT_NORM_TOL = 1e-2  # |‖quaternion‖ − 1| tolerated in state arrays (float32 public data)
MAX_JOINT_ANGLE = 2 * np.pi  # [rad] a larger |q| means degrees, not radians

# per-side dataset: key prefix -> columns (None = any)
_HAND_KEYS: dict[str, int] = {
    "q": 12,
    "dq": 12,
    "state": 13,
    "state_manip_obj": 13,
    "tip_force": 15,
}


class TaskFileError(ValueError):
    """A transferred-task file is missing, malformed or inconsistent (message names file/key)."""


@dataclass(frozen=True)
class HandTrack:
    """One hand's trajectory of T frames (arrays keep the dtype they were read or built with).

    Attributes:
        q: (T, 12) joint positions [rad] in the sim hand's joint order.
        dq: (T, 12) joint velocities [rad/s].
        state: (T, 13) hand base: position [m], quaternion (x, y, z, w), linear velocity [m/s],
            angular velocity [rad/s], in the world frame of the simulation.
        state_manip_obj: (T, 13) the object this hand manipulates, same layout.
        tip_force: (T, 15) contact forces on the 5 fingertips [N], thumb..pinky, (x, y, z) each.
    """

    q: np.ndarray
    dq: np.ndarray
    state: np.ndarray
    state_manip_obj: np.ndarray
    tip_force: np.ndarray

    @property
    def num_frames(self) -> int:
        return int(self.q.shape[0])

    @property
    def wrist_position(self) -> np.ndarray:
        """(T, 3) hand-base position [m]."""
        return self.state[:, 0:3]

    @property
    def wrist_quat_xyzw(self) -> np.ndarray:
        """(T, 4) hand-base orientation, quaternion x y z w."""
        return self.state[:, 3:7]

    @property
    def object_position(self) -> np.ndarray:
        """(T, 3) manipulated-object position [m]."""
        return self.state_manip_obj[:, 0:3]

    @property
    def object_quat_xyzw(self) -> np.ndarray:
        """(T, 4) manipulated-object orientation, quaternion x y z w."""
        return self.state_manip_obj[:, 3:7]


_SEQ_INFO_KEYS = (
    "seq_len",
    "dexhand",
    "type",
    "primitive",
    "primitive_rh",
    "primitive_lh",
    "interaction_mode",
    "oid_rh",
    "oid_lh",
    "obj_rh_path",
    "obj_lh_path",
    "start_frame",
)


@dataclass(frozen=True)
class SeqInfo:
    """Contents of ``seq_info.json``. Unknown keys are kept in ``extra``; absent ones are None."""

    seq_len: int
    dexhand: str = "inspire"
    type: str = "bih"
    primitive: Any = None
    primitive_rh: Any = None
    primitive_lh: Any = None
    interaction_mode: Any = None
    oid_rh: Any = None
    oid_lh: Any = None
    obj_rh_path: Any = None
    obj_lh_path: Any = None
    start_frame: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    present: tuple[str, ...] = _SEQ_INFO_KEYS  # which known keys the file had (for round trips)

    def to_json_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in _SEQ_INFO_KEYS if k in self.present}
        out.update(self.extra)
        return out

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any], source: str = "<dict>") -> SeqInfo:
        if not isinstance(data, Mapping):
            raise TaskFileError(f"{source}: expected a JSON object, found {type(data).__name__}")
        if "seq_len" not in data:
            raise TaskFileError(f"{source}: missing key 'seq_len' (int, number of frames)")
        seq_len = data["seq_len"]
        if not isinstance(seq_len, int) or isinstance(seq_len, bool) or seq_len < 1:
            raise TaskFileError(
                f"{source}: key 'seq_len' must be a positive int, found {seq_len!r}"
            )
        seq_type = data.get("type", "bih")
        if seq_type not in SEQ_TYPES:
            raise TaskFileError(
                f"{source}: key 'type' must be one of {sorted(SEQ_TYPES)}, found {seq_type!r}"
            )
        known = {k: data[k] for k in _SEQ_INFO_KEYS if k in data}
        extra = {k: v for k, v in data.items() if k not in _SEQ_INFO_KEYS}
        present = tuple(k for k in _SEQ_INFO_KEYS if k in data)
        return cls(**known, extra=extra, present=present)

    @property
    def sides(self) -> tuple[Side, ...]:
        return SEQ_TYPES[self.type]


@dataclass(frozen=True)
class TransferredTask:
    """A transferred task in memory: one rollout of one sequence.

    Attributes:
        name: sequence folder name, ``<name>_<rh|lh|bih>``.
        info: the sequence's ``seq_info.json``.
        hands: per side (``"right"``/``"left"``) the hand track; the sides of ``info.type``.
        reward: (T,) per-frame reward.
        actions: (T, A) policy actions (A = 18 per hand for Inspire).
        rollout: the rollout's group name, e.g. ``"rollout_0"``.
        extra: further datasets of the rollout group, written back unchanged.
    """

    name: str
    info: SeqInfo
    hands: dict[Side, HandTrack]
    reward: np.ndarray
    actions: np.ndarray
    rollout: str = "rollout_0"
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        validate_task(self)

    @property
    def num_frames(self) -> int:
        return int(self.reward.shape[0])

    @property
    def sides(self) -> tuple[Side, ...]:
        return tuple(s for s in SIDES if s in self.hands)

    @property
    def dt(self) -> float:
        """Frame period [s]."""
        return 1.0 / FPS

    def total_reward(self) -> float:
        return float(np.sum(self.reward))


def _check_array(
    arr: Any, key: str, cols: int | None, frames: int | None, where: str
) -> np.ndarray:
    a = np.asarray(arr)
    want = f"(T, {cols})" if cols is not None else "(T,)"
    if cols is None:
        ok = a.ndim == 1
    else:
        ok = a.ndim == 2 and a.shape[1] == cols
    if not ok:
        raise TaskFileError(f"{where}: key '{key}' expected shape {want}, found {a.shape}")
    if frames is not None and a.shape[0] != frames:
        raise TaskFileError(
            f"{where}: key '{key}' has {a.shape[0]} frames, expected {frames} like the others"
        )
    if not np.issubdtype(a.dtype, np.floating):
        raise TaskFileError(f"{where}: key '{key}' expected floating values, found {a.dtype}")
    if not np.all(np.isfinite(a)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        raise TaskFileError(f"{where}: key '{key}' has a non-finite value at index {bad}")
    return a


def validate_task(task: TransferredTask, where: str | None = None) -> None:
    """Raise :class:`TaskFileError` unless every array has the layout's shape and is finite."""
    _validate_parts(
        task.info,
        task.hands,
        task.reward,
        task.actions,
        where or f"task {task.name!r} {task.rollout}",
    )


def _validate_parts(
    info: SeqInfo, hands: Mapping[Side, HandTrack], reward: Any, actions: Any, where: str
) -> None:
    r = _check_array(reward, "reward", None, None, where)
    T = int(r.shape[0])
    if T < 1:
        raise TaskFileError(f"{where}: key 'reward' must have at least one frame, found {T}")
    a = np.asarray(actions)
    if a.ndim != 2 or a.shape[0] != T:
        raise TaskFileError(f"{where}: key 'actions' expected shape ({T}, A), found {a.shape}")
    _check_array(a, "actions", a.shape[1], T, where)
    expected = set(info.sides)
    if set(hands) != expected:
        raise TaskFileError(
            f"{where}: type {info.type!r} needs hands {sorted(expected)}, found {sorted(hands)}"
        )
    for side, hand in hands.items():
        sfx = SUFFIX[side]
        for key, cols in _HAND_KEYS.items():
            arr = _check_array(getattr(hand, key), f"{key}_{sfx}", cols, T, where)
            if key == "q" and np.max(np.abs(arr)) > MAX_JOINT_ANGLE:
                raise TaskFileError(
                    f"{where}: key 'q_{sfx}' reaches {np.max(np.abs(arr)):.4g}; expected joint "
                    f"angles in radians (|q| <= 2π) - degrees?"
                )
            if key.startswith("state"):
                n = np.linalg.norm(arr[:, 3:7], axis=1)
                bad = np.flatnonzero(np.abs(n - 1.0) > QUAT_NORM_TOL)
                if bad.size:
                    raise TaskFileError(
                        f"{where}: key '{key}_{sfx}' columns 3:7 must be a unit quaternion "
                        f"(x y z w); frame {bad[0]} has norm {n[bad[0]]:.4f}"
                    )


def _seq_dir(path: str | Path) -> Path:
    p = Path(path)
    return p.parent if p.name == ROLLOUTS_FILE else p


def _rollout_sort_key(name: str) -> tuple[int, str]:
    m = re.fullmatch(r"rollout_(\d+)", name)
    return (int(m.group(1)) if m else 1 << 30, name)


def list_rollouts(path: str | Path) -> dict[str, float]:
    """Successful rollouts of a sequence -> total reward, in rollout order."""
    file = _seq_dir(path) / ROLLOUTS_FILE
    out: dict[str, float] = {}
    with _open(file, "r") as h5:
        grp = _success_group(h5, file)
        for name in sorted(grp.keys(), key=_rollout_sort_key):
            r = grp[name].get("reward")
            out[name] = float(np.sum(r[()])) if isinstance(r, h5py.Dataset) else float("nan")
    return out


def _open(file: Path, mode: str) -> h5py.File:
    if mode == "r" and not file.is_file():
        raise TaskFileError(f"{file}: no such file (expected <seq_dir>/{ROLLOUTS_FILE})")
    try:
        return h5py.File(file, mode)
    except OSError as exc:
        raise TaskFileError(f"{file}: cannot open as HDF5 ({exc})") from exc


def _success_group(h5: h5py.File, file: Path) -> h5py.Group:
    grp = h5.get(SUCCESS_GROUP)
    if not isinstance(grp, h5py.Group) or len(grp) == 0:
        raise TaskFileError(f"{file}: no rollouts in group '{SUCCESS_GROUP}'")
    return grp


def load_seq_info(path: str | Path) -> SeqInfo:
    """Read ``seq_info.json`` of a sequence folder."""
    file = _seq_dir(path) / SEQ_INFO_FILE
    if not file.is_file():
        raise TaskFileError(f"{file}: no such file (expected <seq_dir>/{SEQ_INFO_FILE})")
    try:
        data = json.loads(file.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise TaskFileError(f"{file}: not valid JSON ({exc})") from exc
    return SeqInfo.from_json_dict(data, str(file))


def load_task(path: str | Path, rollout: int | str | None = None) -> TransferredTask:
    """Load one rollout of a sequence folder (or of its ``rollouts.hdf5``).

    Args:
        path: the sequence folder ``<name>_<rh|lh|bih>`` or its ``rollouts.hdf5``.
        rollout: index ``k`` or group name ``"rollout_k"``; None picks the successful rollout
            with the highest total reward (the first one on ties).

    Raises:
        TaskFileError: naming the file, the key and the expected shape.
    """
    seq = _seq_dir(path)
    info = load_seq_info(seq)
    file = seq / ROLLOUTS_FILE
    with _open(file, "r") as h5:
        grp = _success_group(h5, file)
        if rollout is None:
            best = max(list_rollouts(seq).items(), key=lambda kv: kv[1])
            name = best[0]
        else:
            name = f"rollout_{rollout}" if isinstance(rollout, int) else str(rollout)
        if name not in grp:
            raise TaskFileError(
                f"{file}: no rollout '{name}' in '{SUCCESS_GROUP}'; found "
                f"{sorted(grp.keys(), key=_rollout_sort_key)}"
            )
        g = grp[name]
        where = f"{file} [{SUCCESS_GROUP}/{name}]"
        data: dict[str, np.ndarray] = {}
        for key, item in g.items():
            if not isinstance(item, h5py.Dataset):
                raise TaskFileError(f"{where}: key '{key}' is a group, expected a dataset")
            data[key] = item[()]
    for key in ("reward", "actions"):
        if key not in data:
            raise TaskFileError(f"{where}: missing key '{key}'")
    hands: dict[Side, HandTrack] = {}
    used = {"reward", "actions"}
    for side in info.sides:
        sfx = SUFFIX[side]
        arrays = {}
        for key, cols in _HAND_KEYS.items():
            full = f"{key}_{sfx}"
            if full not in data:
                raise TaskFileError(
                    f"{where}: missing key '{full}' (expected shape (T, {cols})) "
                    f"for a '{info.type}' sequence"
                )
            arrays[key] = data[full]
            used.add(full)
        hands[side] = HandTrack(**arrays)
    extra = {k: v for k, v in data.items() if k not in used}
    _validate_parts(info, hands, data["reward"], data["actions"], where)
    return TransferredTask(
        name=seq.name,
        info=info,
        hands=hands,
        reward=data["reward"],
        actions=data["actions"],
        rollout=name,
        extra=extra,
    )


def save_task(task: TransferredTask, seq_dir: str | Path, *, append: bool = False) -> Path:
    """Write ``task`` as ``<seq_dir>/rollouts.hdf5`` + ``seq_info.json``; returns ``seq_dir``.

    With ``append`` the rollout is added to an existing file (its group name must be new);
    otherwise the file is replaced and holds this one rollout.
    """
    validate_task(task)
    seq = Path(seq_dir)
    seq.mkdir(parents=True, exist_ok=True)
    file = seq / ROLLOUTS_FILE
    with _open(file, "a" if append else "w") as h5:
        grp = h5.require_group(SUCCESS_GROUP)
        if task.rollout in grp:
            raise TaskFileError(f"{file}: rollout '{task.rollout}' exists already")
        g = grp.create_group(task.rollout)
        g.create_dataset("reward", data=task.reward)
        g.create_dataset("actions", data=task.actions)
        for side, hand in task.hands.items():
            for key in _HAND_KEYS:
                g.create_dataset(f"{key}_{SUFFIX[side]}", data=getattr(hand, key))
        for key, arr in task.extra.items():
            g.create_dataset(key, data=arr)
    (seq / SEQ_INFO_FILE).write_text(json.dumps(task.info.to_json_dict(), indent=2) + "\n")
    return seq


def with_rollout(task: TransferredTask, rollout: str) -> TransferredTask:
    """A copy of ``task`` under another rollout group name."""
    return replace(task, rollout=rollout)


__all__ = [
    "FPS",
    "SIDES",
    "SUFFIX",
    "HandTrack",
    "SeqInfo",
    "TaskFileError",
    "TransferredTask",
    "list_rollouts",
    "load_seq_info",
    "load_task",
    "save_task",
    "validate_task",
    "with_rollout",
]
