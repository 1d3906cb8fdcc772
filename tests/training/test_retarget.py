"""Sim-hand kinematics and the human -> sim-hand kinematic retarget."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from maniptrans_description.inspire import actuators_to_sim_joints
from maniptrans_training.demo import HandDemo
from maniptrans_training.retarget import KEYPOINT_TO_LINK, RetargetConfig, retarget_hand
from maniptrans_training.rotations import axis_angle_to_matrix
from maniptrans_training.sim_hand import HandKinematics
from maniptrans_training.synthetic import TASKS, make_demo

# facts/inspire_hand.md §5, "half" pose fingertips in the base frame (thumb..pinky) [m]
HALF_TIPS = {
    "right": [
        [-0.05378, -0.14459, -0.04773],
        [-0.06792, -0.14624, -0.02659],
        [-0.07105, -0.14619, -0.00696],
        [-0.06791, -0.14669, 0.01282],
        [-0.06102, -0.14708, 0.03273],
    ],
    "left": [
        [-0.05046, -0.14494, 0.05173],
        [-0.06781, -0.14639, 0.02660],
        [-0.07105, -0.14619, 0.00696],
        [-0.06791, -0.14669, -0.01282],
        [-0.06102, -0.14708, -0.03273],
    ],
}


@pytest.mark.parametrize("side", ["right", "left"])
def test_forward_kinematics_matches_the_facts_reference_pose(side):
    kin = HandKinematics(side)
    q = actuators_to_sim_joints(side, [0.85, 0.85, 0.85, 0.85, 0.25, 0.65])[None]
    fk = kin.forward(np.eye(3)[None], np.zeros((1, 3)), q)
    np.testing.assert_allclose(fk.p[0, kin.tip_links], HALF_TIPS[side], atol=2e-5)


def test_point_jacobian_matches_finite_differences():
    kin = HandKinematics("right")
    rng = np.random.default_rng(3)
    N = 2
    q = rng.uniform(0.0, 0.6, (N, 12))
    R = axis_angle_to_matrix(rng.normal(size=(N, 3)))
    p = rng.normal(size=(N, 3))
    links = list(range(len(kin.link_names)))
    fk = kin.forward(R, p, q)
    J = kin.point_jacobian(fk, links)
    eps = 1e-6
    for i in range(18):
        d = np.zeros(18)
        d[i] = eps
        f2 = kin.forward(axis_angle_to_matrix(np.tile(d[3:6], (N, 1))) @ R, p + d[:3], q + d[6:])
        np.testing.assert_allclose((f2.p - fk.p) / eps, J[..., i], atol=1e-5)


def _robot_as_human(side: str, T: int, seed: int) -> tuple[HandDemo, np.ndarray]:
    """Keypoints placed exactly on robot links of a known smooth trajectory."""
    kin = HandKinematics(side)
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, T)[:, None]
    q = kin.lower + (kin.upper - kin.lower) * (0.2 + 0.5 * t * rng.uniform(0.3, 1.0, 12))
    R = axis_angle_to_matrix(np.outer(t[:, 0], [0.3, -0.2, 0.5]))
    p = np.outer(t[:, 0], [0.1, 0.0, 0.05])
    fk = kin.forward(R, p, q)
    kp = np.zeros((T, 21, 3))
    prefix = kin.link_names[0].split("_", 1)[0]
    for k, link in KEYPOINT_TO_LINK.items():
        kp[:, k] = fk.p[:, kin.link_index(f"{prefix}_{link}")]
    # keypoints without a robot counterpart (DIPs) sit anywhere
    for k in (7, 11, 15, 19):
        kp[:, k] = kp[:, k + 1]
    wrist_guess = axis_angle_to_matrix(np.full((T, 3), 0.1)) @ R
    return HandDemo(p + 0.01, wrist_guess, kp), q


@pytest.mark.parametrize("side", ["right", "left"])
def test_retarget_recovers_a_pose_the_robot_can_reach(side):
    hand, q_true = _robot_as_human(side, T=12, seed=1)
    res = retarget_hand(hand, side)
    assert res.mean_tip_error < 1e-3
    assert np.abs(res.q - q_true).max() < 0.05
    assert res.q.shape == (12, 12) and res.bodies.shape == (12, 18, 3)


@pytest.mark.parametrize("task", sorted(TASKS))
def test_retarget_of_every_synthetic_demo_is_under_one_centimetre(task):
    demo = make_demo(task, seed=2)
    for side in demo.sides:
        res = retarget_hand(demo.hands[side], side)
        assert res.mean_tip_error < 0.01, (task, side, res.mean_tip_error)
        kin = HandKinematics(side)
        assert np.all(res.q >= kin.lower - 1e-12) and np.all(res.q <= kin.upper + 1e-12)


def test_temporal_smoothness_damps_keypoint_jitter():
    demo = make_demo("lift_box", seed=0)
    hand = demo.hands["right"]
    T = 60
    rng = np.random.default_rng(0)
    noisy = replace(
        hand,
        wrist_pos=hand.wrist_pos[:T],
        wrist_rot=hand.wrist_rot[:T],
        keypoints=hand.keypoints[:T] + rng.normal(scale=0.003, size=(T, 21, 3)),
    )
    rough = retarget_hand(noisy, "right", RetargetConfig(smooth_joint=0.0, smooth_wrist=0.0))
    smooth = retarget_hand(noisy, "right", RetargetConfig(smooth_joint=3e-3, smooth_wrist=3e-1))

    def jerk(x):
        return float(np.mean(np.abs(np.diff(x, 2, axis=0))))

    assert jerk(smooth.q) < 0.7 * jerk(rough.q)
    assert jerk(smooth.wrist_pos) < 0.7 * jerk(rough.wrist_pos)
    assert smooth.mean_tip_error < 0.01


def _window(demo, frames: slice):
    """``demo`` cut to ``frames`` (hands and objects)."""
    hands = {
        s: replace(
            h,
            wrist_pos=h.wrist_pos[frames],
            wrist_rot=h.wrist_rot[frames],
            keypoints=h.keypoints[frames],
        )
        for s, h in demo.hands.items()
    }
    objects = tuple(replace(o, poses=o.poses[frames]) for o in demo.objects)
    return replace(demo, hands=hands, objects=objects)


def test_clearance_rows_are_the_derivatives_of_the_clearance_residuals():
    from maniptrans_training.retarget import _Clearance

    demo = _window(make_demo("pour", 0), slice(100, 103))  # the bottle held in the right hand
    hand = demo.hands["right"]
    plain = retarget_hand(hand, "right", RetargetConfig())
    kin = HandKinematics("right")
    clear = _Clearance(kin, demo.objects, 3, grid=3)
    R = axis_angle_to_matrix(plain.wrist_aa)
    fk = kin.forward(R, plain.wrist_pos, plain.q)
    t, res, rows = clear.terms(fk, 0.002)
    assert t.size > 20, "the keypoint-only retarget must put some of the thumb into the bottle"
    rng = np.random.default_rng(0)
    eps = 1e-7
    for _ in range(4):
        d = rng.normal(size=18)
        d /= np.linalg.norm(d)
        moved = kin.forward(
            axis_angle_to_matrix(np.tile(eps * d[3:6], (3, 1))) @ R,
            plain.wrist_pos + eps * d[:3],
            plain.q + eps * d[6:],
        )
        t2, res2, _ = clear.terms(moved, 0.002)
        assert np.array_equal(t, t2)  # the same active points (no face or box switched)
        np.testing.assert_allclose((res2 - res) / eps, rows @ d, atol=2e-5)


def test_the_collision_aware_retarget_keeps_the_thumb_out_of_the_bottle():
    from maniptrans_training.env import build_reference
    from maniptrans_training.penetration import reference_penetration
    from maniptrans_training.retarget import COLLISION_AWARE, retarget_demo

    demo = _window(make_demo("pour", 0), slice(60, 90))  # grasped, lifted, carried
    depth, tips = {}, {}
    for name, cfg in (("plain", RetargetConfig()), ("aware", COLLISION_AWARE)):
        res = retarget_demo(demo, cfg)
        rows = reference_penetration(build_reference(demo, res), tolerance=0.0)
        depth[name] = rows[0].depth if rows else 0.0
        tips[name] = max(r.mean_tip_error for r in res.values())
    assert depth["plain"] > 0.010, depth  # without the term, the robot thumb is in the bottle
    assert depth["aware"] < 0.005, depth
    assert tips["aware"] < 0.01, tips  # the fingertips still follow the human's (< 1 cm)


def test_the_clearance_weight_picks_the_retarget_and_refuses_a_negative_one():
    from maniptrans_training.errors import TrainingError
    from maniptrans_training.retarget import COLLISION_AWARE, clearance_config

    assert clearance_config(0.0) == RetargetConfig()  # the paper's
    assert clearance_config(5.0) == replace(COLLISION_AWARE, clearance_weight=5.0)
    for bad in (-1.0, float("nan")):
        with pytest.raises(TrainingError, match="clearance weight must be >= 0"):
            clearance_config(bad)
