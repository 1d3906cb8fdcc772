"""Rollouts, their metrics, and export -> import -> export of transferred tasks."""

from __future__ import annotations

import json
from dataclasses import replace

import h5py
import numpy as np
import pytest

from maniptrans_training.env import EnvConfig, build_reference
from maniptrans_training.export import export_task, import_task, record_to_task
from maniptrans_training.retarget import retarget_demo
from maniptrans_training.rollout import evaluate_record, run_rollout
from maniptrans_training.synthetic import make_demo


@pytest.fixture(scope="module")
def short_pour():
    demo = make_demo("pour", seed=0)
    n = 40
    hands = {
        s: replace(
            h, wrist_pos=h.wrist_pos[:n], wrist_rot=h.wrist_rot[:n], keypoints=h.keypoints[:n]
        )
        for s, h in demo.hands.items()
    }
    demo = replace(
        demo, hands=hands, objects=tuple(replace(o, poses=o.poses[:n]) for o in demo.objects)
    )
    ref = build_reference(demo, retarget_demo(demo))
    rec = run_rollout(ref, EnvConfig(stage="residual"))
    return demo, ref, rec


def test_rollout_records_every_frame_of_the_reference(short_pour):
    _demo, ref, rec = short_pour
    assert rec.num_frames == ref.num_frames == 40
    assert rec.actions.shape == (40, 36) and np.all(rec.actions[-1] == 0)
    assert rec.reward[0] == 0 and np.all(rec.reward[1:] > 0)
    for s in ("right", "left"):
        h = rec.hands[s]
        assert (
            h.q.shape == (40, 12) and h.state.shape == (40, 13) and h.tip_force.shape == (40, 15)
        )
        np.testing.assert_allclose(np.linalg.norm(h.state[:, 3:7], axis=1), 1.0, atol=1e-9)
        # frame 0 is the reset state: the retargeted pose
        np.testing.assert_allclose(h.state[0, :3], ref.hands[s].wrist_pos[0], atol=1e-9)
    assert rec.simulated_objects and len(rec.objects) == 2


def test_retarget_only_metrics_are_finite_and_in_paper_units(short_pour):
    _demo, ref, rec = short_pour
    m = evaluate_record(rec, ref)
    for v in (m.E_r, m.E_t, m.E_j, m.E_ft):
        assert np.isfinite(v) and v >= 0
    # the tracker keeps the fingertips within a few centimetres of the human ones
    assert m.E_ft < 5.0


def test_export_import_export_is_lossless(tmp_path, short_pour):
    demo, _ref, rec = short_pour
    task = record_to_task(rec, demo)
    assert task.name == "pour_bih" and task.info.type == "bih"
    assert task.info.oid_rh == "bottle" and task.info.obj_lh_path == "objects/cup.obj"
    a = export_task(task, demo, tmp_path / "a")
    back = import_task(a)
    b = export_task(back, demo, tmp_path / "b")
    with h5py.File(a / "rollouts.hdf5") as fa, h5py.File(b / "rollouts.hdf5") as fb:
        ga, gb = fa["rollouts/successful/rollout_0"], fb["rollouts/successful/rollout_0"]
        assert sorted(ga) == sorted(gb)
        for k in ga:
            assert ga[k].dtype == gb[k].dtype
            np.testing.assert_array_equal(ga[k][()], gb[k][()])
    assert json.loads((a / "seq_info.json").read_text()) == json.loads(
        (b / "seq_info.json").read_text()
    )
    assert (b / "objects" / "bottle.obj").is_file()
    # what was exported is the rollout, to float32 precision
    np.testing.assert_allclose(back.hands["left"].q, rec.hands["left"].q, atol=1e-6)
