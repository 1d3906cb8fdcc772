"""The DexManipNet-layout reader/writer: round trips, rollout choice and validation messages.

`_write_public_layout` is written straight against the layout described in ARCHITECTURE.md with
raw h5py/json calls, independently of `task_file.save_task`, so the reader is checked against
a file it did not write.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from maniptrans_sim.task_file import (
    HandTrack,
    SeqInfo,
    TaskFileError,
    TransferredTask,
    list_rollouts,
    load_task,
    save_task,
)


def _unit_quats(rng: np.random.Generator, T: int) -> np.ndarray:
    q = rng.normal(size=(T, 4))
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def _state(rng: np.random.Generator, T: int, dtype=np.float32) -> np.ndarray:
    s = rng.normal(size=(T, 13))
    s[:, 3:7] = _unit_quats(rng, T)
    return s.astype(dtype)


def _write_public_layout(
    seq_dir: Path, T: int, rewards: list[float], sides=("rh", "lh"), seed: int = 0, extra=True
) -> dict:
    """Independent writer: one file per sequence, float32 like the public data set."""
    rng = np.random.default_rng(seed)
    seq_dir.mkdir(parents=True)
    written = {}
    with h5py.File(seq_dir / "rollouts.hdf5", "w") as f:
        for k, total in enumerate(rewards):
            g = f.create_group(f"rollouts/successful/rollout_{k}")
            arrays = {"reward": np.full(T, total / T, np.float32)}
            arrays["actions"] = rng.normal(size=(T, 18 * len(sides))).astype(np.float32)
            for s in sides:
                arrays[f"q_{s}"] = rng.uniform(0, 1.2, size=(T, 12)).astype(np.float32)
                arrays[f"dq_{s}"] = rng.normal(size=(T, 12)).astype(np.float32)
                arrays[f"state_{s}"] = _state(rng, T)
                arrays[f"state_manip_obj_{s}"] = _state(rng, T)
                arrays[f"tip_force_{s}"] = rng.normal(size=(T, 15)).astype(np.float32)
            if extra:
                arrays["obj_contact"] = rng.normal(size=(T, 2)).astype(np.float32)
            for key, arr in arrays.items():
                g.create_dataset(key, data=arr)
            written[f"rollout_{k}"] = arrays
        f.create_group("rollouts/failed")
    seq_type = "bih" if len(sides) == 2 else sides[0]
    info = {
        "seq_len": T,
        "dexhand": "inspire",
        "type": seq_type,
        "primitive": "pour",
        "primitive_rh": "grasp",
        "primitive_lh": "hold",
        "interaction_mode": "bimanual",
        "oid_rh": "O02@0001",
        "oid_lh": "O02@0002",
        "obj_rh_path": "objects/cup.obj",
        "obj_lh_path": "objects/kettle.obj",
        "start_frame": 12,
        "annotator": "someone",  # a key our dataclass does not know
    }
    (seq_dir / "seq_info.json").write_text(json.dumps(info))
    return written


def _trees_equal(a: Path, b: Path) -> None:
    with h5py.File(a / "rollouts.hdf5") as fa, h5py.File(b / "rollouts.hdf5") as fb:
        ga, gb = fa["rollouts/successful"], fb["rollouts/successful"]
        assert sorted(ga) == sorted(gb)
        for r in ga:
            assert sorted(ga[r]) == sorted(gb[r])
            for key in ga[r]:
                x, y = ga[r][key][()], gb[r][key][()]
                assert x.dtype == y.dtype, key
                np.testing.assert_array_equal(x, y, err_msg=key)
    assert json.loads((a / "seq_info.json").read_text()) == json.loads(
        (b / "seq_info.json").read_text()
    )


def test_loader_reads_a_sequence_written_by_an_independent_writer(tmp_path):
    seq = tmp_path / "pour_bih"
    written = _write_public_layout(seq, T=7, rewards=[1.0])
    task = load_task(seq)
    assert task.name == "pour_bih"
    assert task.sides == ("right", "left")
    assert task.num_frames == 7
    assert task.info.start_frame == 12 and task.info.oid_lh == "O02@0002"
    assert task.info.extra == {"annotator": "someone"}
    arrays = written["rollout_0"]
    np.testing.assert_array_equal(task.hands["right"].q, arrays["q_rh"])
    np.testing.assert_array_equal(task.hands["left"].tip_force, arrays["tip_force_lh"])
    np.testing.assert_array_equal(task.hands["left"].wrist_quat_xyzw, arrays["state_lh"][:, 3:7])
    np.testing.assert_array_equal(task.extra["obj_contact"], arrays["obj_contact"])


def test_loader_picks_the_highest_reward_rollout_unless_told(tmp_path):
    seq = tmp_path / "lift_bih"
    written = _write_public_layout(seq, T=5, rewards=[2.0, 9.0, 4.0])
    assert list(list_rollouts(seq)) == ["rollout_0", "rollout_1", "rollout_2"]
    best = load_task(seq / "rollouts.hdf5")
    assert best.rollout == "rollout_1"
    np.testing.assert_array_equal(best.hands["right"].q, written["rollout_1"]["q_rh"])
    assert load_task(seq, rollout=2).rollout == "rollout_2"
    assert load_task(seq, rollout="rollout_0").total_reward() == pytest.approx(2.0, rel=1e-6)


def test_export_import_export_is_lossless(tmp_path):
    src = tmp_path / "src" / "pour_bih"
    _write_public_layout(src, T=9, rewards=[3.0])
    once = save_task(load_task(src), tmp_path / "once" / "pour_bih")
    twice = save_task(load_task(once), tmp_path / "twice" / "pour_bih")
    _trees_equal(src, once)
    _trees_equal(once, twice)


def test_single_hand_sequence_has_only_its_side(tmp_path):
    seq = tmp_path / "grasp_lh"
    _write_public_layout(seq, T=4, rewards=[1.0], sides=("lh",))
    task = load_task(seq)
    assert task.sides == ("left",)
    assert task.actions.shape == (4, 18)


def test_append_adds_a_second_rollout_and_refuses_a_duplicate(tmp_path):
    seq = tmp_path / "pour_bih"
    _write_public_layout(seq, T=5, rewards=[1.0])
    task = load_task(seq)
    out = tmp_path / "out" / "pour_bih"
    save_task(task, out)
    from dataclasses import replace

    better = replace(task, rollout="rollout_1", reward=task.reward * 10)
    save_task(better, out, append=True)
    assert load_task(out).rollout == "rollout_1"
    with pytest.raises(TaskFileError, match="rollout_1' exists"):
        save_task(better, out, append=True)


def _break(seq: Path, key: str, value: np.ndarray) -> None:
    with h5py.File(seq / "rollouts.hdf5", "a") as f:
        g = f["rollouts/successful/rollout_0"]
        del g[key]
        g.create_dataset(key, data=value)


def test_wrong_shape_error_names_file_key_and_expected_shape(tmp_path):
    seq = tmp_path / "pour_bih"
    _write_public_layout(seq, T=6, rewards=[1.0])
    _break(seq, "q_lh", np.zeros((6, 11), np.float32))
    with pytest.raises(TaskFileError) as err:
        load_task(seq)
    msg = str(err.value)
    assert "rollouts.hdf5" in msg and "q_lh" in msg and "(T, 12)" in msg and "(6, 11)" in msg


def test_missing_key_non_finite_value_and_frame_mismatch_are_refused(tmp_path):
    seq = tmp_path / "pour_bih"
    _write_public_layout(seq, T=6, rewards=[1.0])
    with h5py.File(seq / "rollouts.hdf5", "a") as f:
        del f["rollouts/successful/rollout_0/dq_rh"]
    with pytest.raises(TaskFileError, match="missing key 'dq_rh'"):
        load_task(seq)

    seq2 = tmp_path / "b" / "pour_bih"
    _write_public_layout(seq2, T=6, rewards=[1.0])
    bad = np.zeros((6, 15), np.float32)
    bad[2, 4] = np.nan
    _break(seq2, "tip_force_rh", bad)
    with pytest.raises(
        TaskFileError, match=r"tip_force_rh' has a non-finite value at index \(2, 4\)"
    ):
        load_task(seq2)

    seq3 = tmp_path / "c" / "pour_bih"
    _write_public_layout(seq3, T=6, rewards=[1.0])
    _break(seq3, "dq_lh", np.zeros((5, 12), np.float32))
    with pytest.raises(TaskFileError, match="dq_lh' has 5 frames, expected 6"):
        load_task(seq3)


def test_non_unit_quaternion_in_state_is_refused(tmp_path):
    seq = tmp_path / "pour_bih"
    _write_public_layout(seq, T=4, rewards=[1.0])
    with h5py.File(seq / "rollouts.hdf5", "a") as f:
        f["rollouts/successful/rollout_0/state_manip_obj_rh"][1, 3:7] = [0, 0, 0, 2.0]
    with pytest.raises(TaskFileError, match=r"state_manip_obj_rh.*unit quaternion.*frame 1"):
        load_task(seq)


def test_bad_seq_info_and_missing_files_are_reported_with_their_path(tmp_path):
    with pytest.raises(TaskFileError, match=r"seq_info\.json: no such file"):
        load_task(tmp_path / "nothing_bih")
    seq = tmp_path / "pour_bih"
    _write_public_layout(seq, T=4, rewards=[1.0])
    (seq / "seq_info.json").write_text(json.dumps({"seq_len": 4, "type": "both"}))
    with pytest.raises(TaskFileError, match="'type' must be one of"):
        load_task(seq)
    (seq / "seq_info.json").write_text(json.dumps({"type": "bih"}))
    with pytest.raises(TaskFileError, match="missing key 'seq_len'"):
        load_task(seq)
    (seq / "seq_info.json").write_text(json.dumps({"seq_len": 4, "type": "bih"}))
    with pytest.raises(TaskFileError, match=r"no rollout .rollout_5.*rollout_0"):
        load_task(seq, rollout=5)


def test_in_memory_task_is_validated_on_construction():
    T = 3
    rng = np.random.default_rng(1)
    hand = HandTrack(
        q=np.zeros((T, 12)),
        dq=np.zeros((T, 12)),
        state=_state(rng, T, np.float64),
        state_manip_obj=_state(rng, T, np.float64),
        tip_force=np.zeros((T, 15)),
    )
    info = SeqInfo(seq_len=T, type="rh")
    TransferredTask("x_rh", info, {"right": hand}, np.zeros(T), np.zeros((T, 18)))
    with pytest.raises(TaskFileError, match="needs hands"):
        TransferredTask("x_rh", info, {"left": hand}, np.zeros(T), np.zeros((T, 18)))
    with pytest.raises(TaskFileError, match="'actions' expected shape"):
        TransferredTask("x_rh", info, {"right": hand}, np.zeros(T), np.zeros((T + 1, 18)))


def test_joint_angles_in_degrees_are_refused(tmp_path):
    seq = tmp_path / "pour_bih"
    _write_public_layout(seq, T=4, rewards=[1.0])
    _break(seq, "q_rh", np.full((4, 12), 45.0, np.float32))
    with pytest.raises(TaskFileError, match=r"q_rh' reaches 45.*radians"):
        load_task(seq)
