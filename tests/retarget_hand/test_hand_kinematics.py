"""Closed-form fingertip kinematics: against Pinocchio, the fact sheet and finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from maniptrans_description import inspire
from maniptrans_description.loaders import load_pinocchio
from maniptrans_retarget.hand_description import load_hand
from maniptrans_retarget.hand_errors import HandRetargetError

SIDES = ("left", "right")


def _pinocchio_tips(side: str, q: np.ndarray) -> np.ndarray:
    import pinocchio as pin

    loaded = load_pinocchio(f"inspire_hand_{side}_sim")
    model = loaded[0] if isinstance(loaded, tuple) else loaded
    data = model.createData()
    kin = load_hand(side)
    frames = [model.getFrameId(f) for f in kin.tip_frames]
    out = np.empty((q.shape[0], kin.n_tips, 3))
    for t, qt in enumerate(q):
        qp = pin.neutral(model)
        for name, value in zip(kin.joint_names, qt, strict=True):
            qp[model.joints[model.getJointId(name)].idx_q] = value
        pin.framesForwardKinematics(model, data, qp)
        out[t] = [data.oMf[f].translation for f in frames]
    return out


@pytest.mark.parametrize("side", SIDES)
def test_sim_fingertips_match_pinocchio_on_the_generated_urdf(side):
    kin = load_hand(side)
    rng = np.random.default_rng(3)
    q = rng.uniform(kin.joint_lower - 0.2, kin.joint_upper + 0.2, (40, 12))
    np.testing.assert_allclose(kin.tips_from_joints(q), _pinocchio_tips(side, q), atol=1e-12)


@pytest.mark.parametrize("side", SIDES)
def test_real_fingertips_equal_sim_fingertips_with_the_mimics_applied(side):
    kin = load_hand(side)
    rng = np.random.default_rng(4)
    x = rng.uniform(kin.lower, kin.upper, (40, 6))
    q = inspire.actuators_to_sim_joints(side, x)
    np.testing.assert_allclose(kin.tips_from_actuators(x), _pinocchio_tips(side, q), atol=1e-12)


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        ([0, 0, 0, 0, 0, 0], [[-0.04257, -0.12017, -0.10853], [-0.00645, -0.21203, -0.02889]]),
        (
            [0.85] * 4 + [0.25, 0.65],
            [[-0.05378, -0.14459, -0.04773], [-0.06792, -0.14624, -0.02659]],
        ),
        ([1.7] * 4 + [0.5, 1.3], [[-0.02411, -0.13055, -0.02035], [-0.01608, -0.08923, -0.0246]]),
    ],
)
def test_right_thumb_and_index_tips_match_the_fact_sheet_reference_poses(x, expected):
    tips = load_hand("right").tips_from_actuators(np.array(x, dtype=float))
    np.testing.assert_allclose(tips[:2], expected, atol=6e-6)  # the sheet rounds to 10 µm


@pytest.mark.parametrize("side", SIDES)
def test_actuator_jacobian_and_hessian_match_central_differences(side):
    kin = load_hand(side)
    x = np.random.default_rng(5).uniform(kin.lower, kin.upper, (5, 6))
    d = kin.derivatives(x)
    eps = 1e-6
    steps = np.eye(6) * eps
    jac_fd = np.stack(
        [
            (kin.tips_from_actuators(x + e) - kin.tips_from_actuators(x - e)) / (2 * eps)
            for e in steps
        ],
        axis=-1,
    ).reshape(5, -1, 6)
    hess_fd = np.stack(
        [
            (kin.derivatives(x + e).jacobian() - kin.derivatives(x - e).jacobian()) / (2 * eps)
            for e in steps
        ],
        axis=-1,
    )
    np.testing.assert_allclose(d.tips, kin.tips_from_actuators(x), atol=1e-15)
    np.testing.assert_allclose(d.jacobian(), jac_fd, atol=1e-9)
    np.testing.assert_allclose(d.hessian(), hess_fd, atol=1e-8)
    assert np.abs(d.jacobian()).max() > 1e-3  # the comparison is not between zeros


def test_each_actuator_moves_only_its_own_fingertip():
    kin = load_hand("right")
    jac = kin.derivatives(np.full((1, 6), 0.3)).jacobian()[0].reshape(5, 3, 6)
    moved = np.linalg.norm(jac, axis=1) > 1e-9  # (tip, actuator)
    # tips: thumb, index, middle, ring, pinky; actuators: little, ring, middle, index, bend, rot
    expected = np.zeros((5, 6), dtype=bool)
    expected[0, [4, 5]] = True
    expected[1, 3] = expected[2, 2] = expected[3, 1] = expected[4, 0] = True
    np.testing.assert_array_equal(moved, expected)


def test_wrong_shapes_raise_an_error_naming_the_expected_shape():
    kin = load_hand("left")
    with pytest.raises(HandRetargetError, match="expected last axis 12"):
        kin.tips_from_joints(np.zeros((3, 11)))
    with pytest.raises(HandRetargetError, match=r"expected shape \(B, 6\)"):
        kin.derivatives(np.zeros(6))
    with pytest.raises(HandRetargetError, match="side"):
        load_hand("middle")
