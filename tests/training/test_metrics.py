"""Metrics on cases small enough to compute by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from maniptrans_training.errors import TrainingError
from maniptrans_training.metrics import (
    RolloutMetrics,
    SuccessThresholds,
    evaluate_rollout,
    format_table,
    object_rotation_error_deg,
    object_translation_error_cm,
    point_error_cm,
    rollout_success,
    success_rate,
    summarize,
)
from maniptrans_training.rotations import rot_z


def test_rotation_error_of_a_quarter_turn_is_ninety_degrees():
    R_ref = np.repeat(np.eye(3)[None], 2, 0)
    R = np.stack([rot_z(math.pi / 2)[0], rot_z(-math.pi / 6)[0]])
    np.testing.assert_allclose(object_rotation_error_deg(R, R_ref), [90.0, 30.0])


def test_translation_error_is_a_distance_in_centimetres():
    p = np.array([[0.03, 0.04, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(object_translation_error_cm(p, np.zeros((2, 3))), [5.0, 0.0])


def test_point_error_is_per_frame_per_point_and_checks_shapes():
    x = np.zeros((2, 3, 3))
    ref = x.copy()
    ref[1, 2] = [0.0, 0.01, 0.0]
    e = point_error_cm(x, ref)
    assert e.shape == (2, 3)
    assert e[1, 2] == pytest.approx(1.0) and e.sum() == pytest.approx(1.0)
    with pytest.raises(TrainingError, match=r"\(T, K, 3\)"):
        point_error_cm(x, ref[:, :2])


def test_success_needs_every_frame_under_each_fingertips_own_threshold():
    tips = np.full((3, 5), 3.9)  # cm, under every threshold (4 / 4.5 / 5 / 6 / 6)
    assert rollout_success(tips)
    tips[2, 0] = 4.1  # thumb over 4 cm in one frame
    assert not rollout_success(tips)
    tips[2, 0] = 3.0
    tips[1, 4] = 5.9  # pinky under its 6 cm
    assert rollout_success(tips)
    # a second hand repeats the thresholds
    two = np.concatenate([tips, tips], axis=1)
    two[0, 9] = 6.1
    assert not rollout_success(two)
    with pytest.raises(TrainingError, match=r"\(T, 5·H\)"):
        rollout_success(np.zeros((3, 4)))


def test_object_thresholds_are_two_centimetres_and_thirty_degrees():
    tips = np.zeros((2, 5))
    assert rollout_success(tips, obj_t_err_cm=np.array([1.9, 2.0]), obj_r_err_deg=[29.0, 0.0])
    assert not rollout_success(tips, obj_t_err_cm=np.array([2.1, 0.0]))
    assert not rollout_success(tips, obj_r_err_deg=np.array([31.0, 0.0]))
    loose = SuccessThresholds(object_pos=0.05)
    assert rollout_success(tips, loose, obj_t_err_cm=np.array([4.0]))


def test_evaluate_rollout_hand_computed_case():
    T = 4
    tips_ref = np.zeros((T, 5, 3))
    tips = tips_ref.copy()
    tips[:, :, 0] = 0.01  # every tip 1 cm off
    joints_ref = np.zeros((T, 2, 3))
    joints = joints_ref.copy()
    joints[:, 0, 2] = 0.02  # one of two joints 2 cm off -> mean 1 cm
    R_ref = np.repeat(np.eye(3)[None], T, 0)
    R = R_ref.copy()
    R[0] = rot_z(math.radians(40))[0]  # 40 deg in one of four frames -> mean 10 deg, fails SR
    p_ref = np.zeros((T, 3))
    p = p_ref + np.array([0.0, 0.0, 0.005])
    m = evaluate_rollout(tips, tips_ref, joints, joints_ref, R, R_ref, p, p_ref)
    assert m.E_ft == pytest.approx(1.0)
    assert m.E_j == pytest.approx(1.0)
    assert m.E_r == pytest.approx(10.0)
    assert m.E_t == pytest.approx(0.5)
    assert m.success is False
    m2 = evaluate_rollout(tips, tips_ref, joints, joints_ref, R_ref, R_ref, p, p_ref)
    assert m2.success is True and m2.E_r == pytest.approx(0.0)
    m3 = evaluate_rollout(tips, tips_ref, joints, joints_ref)
    assert math.isnan(m3.E_r) and math.isnan(m3.E_t) and m3.success


def test_success_rate_and_summary_and_table():
    assert success_rate([True, False, False, True]) == 50.0
    assert math.isnan(success_rate([]))
    rows = [RolloutMetrics(10.0, 1.0, 2.0, 1.0, True), RolloutMetrics(20.0, 3.0, 4.0, 3.0, False)]
    s = summarize(rows)
    assert s["E_r"] == 15.0 and s["E_t"] == 2.0 and s["E_j"] == 3.0 and s["E_ft"] == 2.0
    assert s["SR"] == 50.0
    table = format_table({"Retarget-only": s})
    assert "Retarget-only" in table and "15.00" in table and "50.00" in table
    no_obj = summarize([RolloutMetrics(float("nan"), float("nan"), 1.0, 1.0, True)])
    assert "–" in format_table({"x": no_obj})
    with pytest.raises(TrainingError):
        summarize([])


def test_valid_share_ends_at_the_first_frame_over_a_threshold():
    T = 10
    tips_ref = np.zeros((T, 5, 3))
    tips = tips_ref.copy()
    joints = np.zeros((T, 2, 3))
    p_ref = np.zeros((T, 3))
    p = p_ref.copy()
    p[6:, 2] = 0.03  # the object falls 3 cm behind from frame 6 on (threshold 2 cm)
    p[8:, 2] = 0.0  # ... and is back in frames 8-9: still not a success, valid stays 6/10
    R = np.repeat(np.eye(3)[None], T, 0)
    m = evaluate_rollout(tips, tips_ref, joints, joints, R, R, p, p_ref)
    assert m.success is False and m.valid == pytest.approx(0.6)
    tips[3, 4, 0] = 0.07  # the pinky 7 cm off (threshold 6 cm) in frame 3
    m = evaluate_rollout(tips, tips_ref, joints, joints, R, R, p, p_ref)
    assert m.valid == pytest.approx(0.3)
    ok = evaluate_rollout(tips_ref, tips_ref, joints, joints, R, R, p_ref, p_ref)
    assert ok.success and ok.valid == 1.0
    s = summarize([m, ok])
    assert s["valid"] == pytest.approx(65.0)
    assert "valid %" in format_table({"x": s}) and "65.00" in format_table({"x": s})
