"""The committed default task: loads, is small, bimanual, and stays within the arms' reach."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from maniptrans_description.rig import RigCalibration
from maniptrans_sim.task_file import load_task
from maniptrans_training.errors import TrainingError
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


def _toy_task(T: int = 10):
    from maniptrans_sim.task_file import HandTrack, SeqInfo, TransferredTask

    rng = np.random.default_rng(0)

    def pose_state() -> np.ndarray:
        state = rng.normal(size=(T, 13))
        state[:, 3:7] /= np.linalg.norm(state[:, 3:7], axis=1, keepdims=True)  # unit quaternions
        return state

    hands = {
        s: HandTrack(
            q=rng.normal(size=(T, 12)),
            dq=rng.normal(size=(T, 12)),
            state=pose_state(),
            state_manip_obj=pose_state(),
            tip_force=rng.normal(size=(T, 15)),
        )
        for s in ("right", "left")
    }
    info = SeqInfo(seq_len=T, type="bih", start_frame=2)
    return TransferredTask(
        name="toy_bih",
        info=info,
        hands=hands,
        reward=np.arange(T, dtype=float),
        actions=rng.normal(size=(T, 36)),
        extra={"per_frame": np.arange(T), "constant": np.ones(3)},
    )


def test_trimming_cuts_every_per_frame_array_alike_and_moves_start_frame():
    from maniptrans_training.export import trim_task

    task = _toy_task(10)
    cut = trim_task(task, 6)
    assert cut.num_frames == cut.info.seq_len == 4
    assert cut.info.start_frame == 8
    np.testing.assert_array_equal(cut.reward, task.reward[6:])
    np.testing.assert_array_equal(cut.actions, task.actions[6:])
    np.testing.assert_array_equal(cut.hands["left"].state, task.hands["left"].state[6:])
    np.testing.assert_array_equal(cut.extra["per_frame"], np.arange(6, 10))
    np.testing.assert_array_equal(cut.extra["constant"], np.ones(3))  # not per-frame: kept
    assert trim_task(task, 0) is task
    with pytest.raises(TrainingError, match="0 <= start < 10"):
        trim_task(task, 10)


def test_lifting_raises_hands_and_objects_and_nothing_else():
    from maniptrans_training.export import lift_task

    task = _toy_task()
    up = lift_task(task, 0.005)
    for s in task.sides:
        a, b = task.hands[s], up.hands[s]
        np.testing.assert_allclose(b.state[:, 2] - a.state[:, 2], 0.005)
        np.testing.assert_allclose(b.state_manip_obj[:, 2] - a.state_manip_obj[:, 2], 0.005)
        np.testing.assert_array_equal(
            b.state[:, [0, 1, *range(3, 13)]], a.state[:, [0, 1, *range(3, 13)]]
        )
        np.testing.assert_array_equal(b.q, a.q)
    with pytest.raises(TrainingError, match="finite"):
        lift_task(task, float("nan"))
