"""The committed default task: loads, is small, bimanual, and stays within the arms' reach."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from maniptrans_description.rig import RigCalibration
from maniptrans_sim.task_file import load_task
from maniptrans_training.placement import reach_point_sim

DEFAULT = Path(__file__).resolve().parents[2] / "ros2_ws/src/maniptrans_bringup/tasks/default"


def test_default_task_is_a_small_bimanual_sequence_within_reach():
    seqs = sorted(p for p in DEFAULT.iterdir() if (p / "rollouts.hdf5").is_file())
    assert [p.name for p in seqs] == ["lift_box_bih"]
    seq = seqs[0]
    size = sum(f.stat().st_size for f in seq.rglob("*") if f.is_file())
    assert size <= 1_000_000
    task = load_task(seq)
    assert task.sides == ("right", "left") and task.info.dexhand == "inspire"
    assert task.num_frames == task.info.seq_len
    target = reach_point_sim(RigCalibration.load(None))
    for side in task.sides:
        wrist = task.hands[side].wrist_position
        assert np.linalg.norm(wrist - target, axis=1).max() < 0.25
        # joints inside the sim hand's limits (with the PD tracker's small overshoot)
        assert task.hands[side].q.min() > -0.15 and task.hands[side].q.max() < 1.8
