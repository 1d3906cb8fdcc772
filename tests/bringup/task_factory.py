"""Synthetic transferred tasks for the bringup tests (small, smooth, bimanual)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from maniptrans_sim.task_file import HandTrack, SeqInfo, TransferredTask, save_task


def _quat_z(yaw: np.ndarray) -> np.ndarray:
    """(T, 4) x y z w quaternions of rotations about z by ``yaw`` [rad]."""
    return np.stack([np.zeros_like(yaw), np.zeros_like(yaw), np.sin(yaw / 2), np.cos(yaw / 2)], 1)


def make_task(
    frames: int = 60, *, name: str = "wave_bih", oid: str | None = "box", seed: int = 0
) -> TransferredTask:
    """A bimanual task of ``frames`` 60 Hz frames: fingers close and open, wrists sway."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / 60.0
    hands = {}
    for i, side in enumerate(("right", "left")):
        phase = 0.5 * (1 - np.cos(2 * np.pi * t / max(t[-1], 1e-3)))  # 0 -> 1 -> 0
        q = np.outer(phase, np.linspace(0.2, 0.9, 12)) * 0.5
        q[:, 0] = 0.3 * phase  # thumb yaw
        q[:, 1] = 0.4 * phase  # thumb pitch (limit 0.5)
        dq = np.gradient(q, 1 / 60.0, axis=0)
        y = 0.2 if side == "right" else -0.2
        pos = np.stack(
            [0.45 + 0.03 * np.sin(2 * np.pi * t), np.full(frames, y), 0.25 + 0.02 * phase], 1
        )
        quat = _quat_z(0.1 * phase + i * 0.05)
        vel = np.zeros((frames, 6))
        state = np.concatenate([pos, quat, vel], 1)
        obj = np.concatenate(
            [pos * 0 + [0.45, 0.0, 0.1 + 0.05 * phase[:, None][0][0]], _quat_z(0.0 * t), vel], 1
        )
        obj[:, 2] = 0.1 + 0.05 * phase
        hands[side] = HandTrack(
            q=q,
            dq=dq,
            state=state,
            state_manip_obj=obj,
            tip_force=rng.normal(0, 0.1, (frames, 15)),
        )
    info = SeqInfo(seq_len=frames, type="bih", oid_rh=oid, oid_lh=oid)
    return TransferredTask(
        name=name, info=info, hands=hands, reward=np.ones(frames), actions=np.zeros((frames, 36))
    )


def write_task(folder: Path, frames: int = 60, **kw) -> Path:
    """Save :func:`make_task` as ``folder/<name>`` and return the sequence folder."""
    task = make_task(frames, **kw)
    return save_task(task, folder / task.name)


def task_ending_far_from_its_start() -> TransferredTask:
    """The first half of :func:`make_task` (60 frames): it ends with the fingers closed and the
    wrists moved, so a loop back to its first frame is a jump."""
    task = make_task(60)
    fields = ("q", "dq", "state", "state_manip_obj", "tip_force")
    hands = {
        s: replace(h, **{f: getattr(h, f)[:30] for f in fields}) for s, h in task.hands.items()
    }
    info = replace(task.info, seq_len=30)
    cut = {"reward": task.reward[:30], "actions": task.actions[:30]}
    return replace(task, hands=hands, info=info, **cut)
