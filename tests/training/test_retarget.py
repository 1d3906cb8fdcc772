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
