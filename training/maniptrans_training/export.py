"""Transferred tasks out of rollouts, in the DexManipNet layout, and back in.

The file format is owned by ``maniptrans_sim.task_file`` (the one reader and writer, shared with
the trajectory player); this module only maps a :class:`~rollout.RolloutRecord` onto its
``TransferredTask`` and writes the object meshes next to the sequence (``objects/<name>.obj``,
referenced by ``obj_rh_path`` / ``obj_lh_path`` relative to the sequence folder).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import trimesh

from maniptrans_sim.task_file import (
    SUFFIX,
    HandTrack,
    SeqInfo,
    TransferredTask,
    load_task,
    save_task,
)
from maniptrans_training.demo import Demo
from maniptrans_training.errors import TrainingError
from maniptrans_training.rollout import RolloutRecord

__all__ = [
    "export_task",
    "import_task",
    "lift_task",
    "record_to_task",
    "sequence_name",
    "trim_task",
]


def sequence_name(name: str, sides: tuple[str, ...]) -> str:
    """``<name>_<rh|lh|bih>``."""
    kind = "bih" if len(sides) == 2 else SUFFIX[sides[0]]
    return f"{name}_{kind}"


def record_to_task(
    record: RolloutRecord,
    demo: Demo,
    name: str | None = None,
    rollout: str = "rollout_0",
    dtype: type = np.float32,
) -> TransferredTask:
    """A ``TransferredTask`` of a recorded rollout of ``demo`` (arrays cast to ``dtype``)."""
    sides = demo.sides
    if set(record.hands) != set(sides):
        raise TrainingError(f"record has hands {sorted(record.hands)}, demo {list(sides)}")
    hands = {}
    for s in sides:
        r = record.hands[s]
        k = demo.hands[s].object_index
        if k >= 0:
            obj = record.objects[k]
        else:  # no object: a still identity pose at the origin
            obj = np.zeros((record.num_frames, 13))
            obj[:, 6] = 1.0
        q = r.state[:, 3:7]
        state = r.state.copy()
        state[:, 3:7] = q / np.linalg.norm(q, axis=1, keepdims=True)
        hands[s] = HandTrack(
            q=r.q.astype(dtype),
            dq=r.dq.astype(dtype),
            state=state.astype(dtype),
            state_manip_obj=obj.astype(dtype),
            tip_force=r.tip_force.astype(dtype),
        )
    seq = sequence_name(name or demo.name, sides)
    kind = seq.rsplit("_", 1)[1]

    def obj_field(side: str, what: str):
        if side not in demo.hands or demo.hands[side].object_index < 0:
            return None
        o = demo.objects[demo.hands[side].object_index]
        return o.name if what == "oid" else f"objects/{o.name}.obj"

    info = SeqInfo(
        seq_len=record.num_frames,
        dexhand="inspire",
        type=kind,
        primitive=demo.meta.get("primitive", demo.name),
        primitive_rh=demo.meta.get("primitive") if "right" in sides else None,
        primitive_lh=demo.meta.get("primitive") if "left" in sides else None,
        interaction_mode=demo.meta.get("interaction_mode", "bimanual" if kind == "bih" else kind),
        oid_rh=obj_field("right", "oid"),
        oid_lh=obj_field("left", "oid"),
        obj_rh_path=obj_field("right", "path"),
        obj_lh_path=obj_field("left", "path"),
        start_frame=0,
    )
    return TransferredTask(
        name=seq,
        info=info,
        hands=hands,
        reward=record.reward.astype(dtype),
        actions=record.actions.astype(dtype),
        rollout=rollout,
    )


def trim_task(task: TransferredTask, start: int) -> TransferredTask:
    """``task`` from frame ``start`` on (per-frame arrays cut alike; ``start_frame`` += start).

    Used to drop a rollout's reset frames: frame 0 of a rollout is the environment's reset pose,
    taken before any physics, where contacts are not yet resolved (hands may start inside the
    table).
    """
    T = task.num_frames
    if not 0 <= start < T:
        raise TrainingError(f"start frame: expected 0 <= start < {T} frames, found {start}")
    if start == 0:
        return task

    def cut(a: np.ndarray) -> np.ndarray:
        return a[start:] if a.ndim >= 1 and a.shape[0] == T else a

    hands = {
        s: HandTrack(
            q=cut(h.q),
            dq=cut(h.dq),
            state=cut(h.state),
            state_manip_obj=cut(h.state_manip_obj),
            tip_force=cut(h.tip_force),
        )
        for s, h in task.hands.items()
    }
    info = replace(task.info, seq_len=T - start, start_frame=task.info.start_frame + start)
    return replace(
        task,
        info=info,
        hands=hands,
        reward=cut(task.reward),
        actions=cut(task.actions),
        extra={k: cut(v) for k, v in task.extra.items()},
    )


def lift_task(task: TransferredTask, dz: float) -> TransferredTask:
    """``task`` with every hand base and object raised by ``dz`` [m] (sim z axis).

    A stiff position-controlled arm presses a hand that rests on the table into it, unlike the
    training sim's soft wrist tracker; a few millimetres of lift keep the replay clear.
    """
    if not np.isfinite(dz):
        raise TrainingError(f"lift: expected a finite height [m], found {dz}")
    hands = {}
    for s, h in task.hands.items():
        state, obj = h.state.copy(), h.state_manip_obj.copy()
        state[:, 2] += dz
        obj[:, 2] += dz
        hands[s] = replace(h, state=state, state_manip_obj=obj)
    return replace(task, hands=hands)


def export_task(task: TransferredTask, demo: Demo, out_dir: str | Path) -> Path:
    """Write ``task`` to ``out_dir/<task.name>/`` plus its object meshes; returns that folder."""
    seq_dir = save_task(task, Path(out_dir) / task.name)
    for o in demo.objects:
        mesh = trimesh.Trimesh(o.vertices, o.faces, process=False)
        path = seq_dir / "objects" / f"{o.name}.obj"
        path.parent.mkdir(exist_ok=True)
        mesh.export(path)
    return seq_dir


def import_task(path: str | Path, rollout: int | str | None = None) -> TransferredTask:
    """Read a DexManipNet-layout sequence (ours or the public data set) into memory."""
    return load_task(path, rollout)
