"""Reward terms, termination rules and curricula, each on cases computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from maniptrans_training.env.curriculum import (
    CurriculumConfig,
    friction_coefficient,
    gravity_scale,
    imitation_threshold_factor,
    residual_threshold_factor,
    threshold_scale,
)
from maniptrans_training.env.rewards import (
    ImitationErrors,
    ImitationWeights,
    ResidualWeights,
    Term,
    contact_reward,
    exp_term,
    imitation_terms,
    residual_terms,
    sum_terms,
)
from maniptrans_training.env.terminations import imitation_termination, residual_termination


def _errors(N: int = 2, scale: float = 0.0) -> ImitationErrors:
    return ImitationErrors(
        wrist_pos=np.full(N, scale),
        wrist_rot=np.full(N, scale),
        tips=np.full((N, 5), scale),
        level1=np.full((N, 3), scale),
        level2=np.full((N, 9), scale),
        wrist_lin_vel=np.full(N, scale),
        wrist_ang_vel=np.full(N, scale),
        joint_vel=np.full((N, 12), scale),
        joint_power=np.full(N, scale),
        wrist_power=np.full(N, scale),
    )


def test_exp_term_is_weight_at_zero_error_and_decays_with_sharpness():
    t = Term(0.9, 100.0)
    assert exp_term(t, 0.0) == pytest.approx(0.9)
    assert exp_term(t, 0.01) == pytest.approx(0.9 * math.exp(-1.0))


def test_perfect_tracking_earns_the_sum_of_all_stage1_weights():
    w = ImitationWeights()
    total = sum_terms(imitation_terms(_errors(), w))
    expected = (
        0.1 + 0.6 + (0.9 + 0.8 + 0.75 + 0.6 + 0.6) + 0.5 + 0.3 + 0.1 + 0.05 + 0.1 + 0.5 + 0.5
    )
    np.testing.assert_allclose(total, expected)


def test_each_stage1_term_uses_its_own_error_and_sharpness():
    e = _errors(N=1)
    e = ImitationErrors(**{**e.__dict__, "tips": np.array([[0.01, 0.0, 0.0, 0.0, 0.02]])})
    terms = imitation_terms(e)
    assert terms["tip_thumb"][0] == pytest.approx(0.9 * math.exp(-1.0))
    assert terms["tip_pinky"][0] == pytest.approx(0.6 * math.exp(-60 * 0.02))
    assert terms["tip_index"][0] == pytest.approx(0.8)
    e2 = ImitationErrors(**{**_errors(N=1).__dict__, "level2": np.full((1, 9), 0.025)})
    assert imitation_terms(e2)["level2"][0] == pytest.approx(0.3 * math.exp(-40 * 0.025))


def test_contact_reward_counts_only_tips_whose_human_counterpart_is_near():
    force = np.array([[2.0, 0.0, 0.0, 0.0, 0.0], [2.0, 3.0, 0.0, 0.0, 0.0]])
    far = np.array([[0.1] * 5, [0.01, 0.1, 0.1, 0.1, 0.1]])
    r = contact_reward(force, far)
    assert r[0] == 0.0  # thumb pushes but the human thumb is 10 cm away
    assert r[1] == pytest.approx(math.exp(-1.0 / 2.0))  # only the thumb counts: Σ = 2 N
    near = np.full((2, 5), 0.01)
    assert contact_reward(force, near)[1] == pytest.approx(math.exp(-1.0 / 5.0))


def test_residual_reward_adds_object_terms_to_stage1():
    e = _errors(N=1)
    zero = np.zeros(1)
    terms = residual_terms(e, zero, zero, zero, zero, np.zeros((1, 5)), np.ones((1, 5)))
    stage1 = sum_terms(imitation_terms(e))
    np.testing.assert_allclose(sum_terms(terms), stage1 + 5.0 + 1.0 + 0.1 + 0.1)
    t2 = residual_terms(e, np.array([0.01]), zero, zero, zero, np.zeros((1, 5)), np.ones((1, 5)))
    assert t2["obj_pos"][0] == pytest.approx(5.0 * math.exp(-0.8))
    assert ResidualWeights().obj_rot == Term(1.0, 3.0)


def test_stage1_termination_waits_for_the_grace_then_uses_per_tip_thresholds():
    tips = np.array([[0.041, 0, 0, 0, 0], [0.0, 0, 0, 0, 0.059]])
    l1, l2 = np.zeros((2, 3)), np.zeros((2, 9))
    early = imitation_termination(tips, l1, l2, np.array([19, 19]), s=0.7)
    assert not early.any()
    late = imitation_termination(tips, l1, l2, np.array([20, 20]), s=0.7)
    assert late.tolist() == [True, False]  # thumb > 4 cm; pinky < 6 cm


def test_stage1_thresholds_scale_with_the_curriculum_factor():
    tips = np.array([[0.05, 0, 0, 0, 0]])  # 5 cm thumb error
    z1, z2 = np.zeros((1, 3)), np.zeros((1, 9))
    assert not imitation_termination(tips, z1, z2, np.array([30]), s=1.0)[0]  # 4 cm · 1/0.7
    assert imitation_termination(tips, z1, z2, np.array([30]), s=0.7)[0]
    lvl1 = np.array([[0.075, 0, 0]])
    assert imitation_termination(np.zeros((1, 5)), lvl1, z2, np.array([30]), s=0.7)[0]
    lvl2 = np.full((1, 9), 0.079)
    assert not imitation_termination(np.zeros((1, 5)), z1, lvl2, np.array([30]), s=0.7)[0]


def test_stage2_termination_object_error_and_missing_contact():
    N = 3
    frame = np.full(N, 10)
    none = np.full((N, 5), 1.0)
    contact = np.ones((N, 5), bool)
    pos = np.array([0.019, 0.021, 0.0])
    rot = np.array([0.0, 0.0, math.radians(31)])
    out = residual_termination(pos, rot, none, contact, frame, s=0.7)
    assert out.tolist() == [False, True, True]
    # at s = 1 the thresholds are 2 cm · 1/0.343 ≈ 5.8 cm and ≈ 87°
    assert not residual_termination(pos, rot, none, contact, frame, s=1.0).any()
    # a demo tip touching the object while the robot finger has had no contact
    human = np.full((N, 5), 1.0)
    human[0, 1] = 0.004
    lost = contact.copy()
    lost[0, 1] = False
    out = residual_termination(np.zeros(N), np.zeros(N), human, lost, frame, s=0.7)
    assert out.tolist() == [True, False, False]
    assert not residual_termination(pos, rot, human, lost, np.full(N, 7), s=0.7).any()


def test_curriculum_scale_decays_linearly_to_point_seven_and_stays():
    np.testing.assert_allclose(
        threshold_scale([0, 64_000, 128_000, 10**6], 128_000),
        [
            1.0,
            0.85,
            0.7,
            0.7,
        ],
    )
    assert imitation_threshold_factor(1.0) == pytest.approx(1 / 0.7)
    assert residual_threshold_factor(1.0) == pytest.approx(1 / 0.343)
    assert residual_threshold_factor(0.7) == pytest.approx(1.0)


def test_gravity_ramps_in_32_frame_blocks_and_friction_follows():
    cfg = CurriculumConfig()
    g = gravity_scale(np.array([0, 31, 32, 960, 1919, 1920, 5000]), cfg)
    np.testing.assert_allclose(g, [0, 0, 32 / 1920, 0.5, 1888 / 1920, 1.0, 1.0])
    f = friction_coefficient(np.array([0, 960, 1920]), cfg)
    np.testing.assert_allclose(f, [6.0, 4.0, 2.0])
