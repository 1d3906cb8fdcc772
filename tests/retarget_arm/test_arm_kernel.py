"""The compiled kernel's kinematics agree with Pinocchio's on the description's URDF."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest

from maniptrans_retarget.arm_errors import ArmIkError
from maniptrans_retarget.arm_ik_kernel import fk_jacobian, log3
from maniptrans_retarget.arm_kinematics import ArmKinematics


def test_kernel_flange_pose_and_jacobian_match_pinocchio_at_random_configurations(kin):
    placements, axes, flange = kin.chain()
    rng = np.random.default_rng(3)
    R, p, J = np.empty((3, 3)), np.empty(3), np.empty((6, 7))
    for _ in range(50):
        q = kin.random_configuration(rng)
        fk_jacobian(placements, axes, flange, q, R, p, J)
        J_pin = pin.computeFrameJacobian(
            kin.model, kin.data, q, kin.flange_id, pin.LOCAL_WORLD_ALIGNED
        )
        M = kin.data.oMf[kin.flange_id]
        np.testing.assert_allclose(p, M.translation, atol=1e-12)
        np.testing.assert_allclose(R, M.rotation, atol=1e-12)
        np.testing.assert_allclose(J, J_pin, atol=1e-12)


def test_flange_pose_matches_the_description_mdh_reference(kin):
    from maniptrans_description import rm75

    q = np.array([1.0, 0.5, -1.0, -1.0, 0.5, 1.0, -0.5])
    np.testing.assert_allclose(kin.flange_pose(q), rm75.mdh_fk("rm75_b", q), atol=1e-9)


@pytest.mark.parametrize("angle", [0.0, 1e-9, 1e-4, 0.5, 2.0, 3.1, np.pi - 1e-7, np.pi])
def test_kernel_log3_matches_pinocchio_from_zero_to_pi(angle):
    rng = np.random.default_rng(int(angle * 1000))
    out = np.empty(3)
    for _ in range(20):
        axis = rng.normal(size=3)
        axis /= np.linalg.norm(axis)
        R = pin.exp3(angle * axis)
        theta = log3(R, out)
        assert theta == pytest.approx(angle, abs=1e-7)
        # at π both ±axis are valid; compare the rotations they produce
        np.testing.assert_allclose(pin.exp3(out), R, atol=1e-7)
        if angle < 3.0:
            np.testing.assert_allclose(out, pin.log3(R), atol=1e-9)


def test_chain_refuses_a_model_with_a_prismatic_joint():
    model = pin.Model()
    parent = 0
    for i in range(7):
        joint = pin.JointModelPZ() if i == 3 else pin.JointModelRZ()
        parent = model.addJoint(parent, joint, pin.SE3.Identity(), f"j{i}")
    model.addFrame(pin.Frame("flange", parent, pin.SE3.Identity(), pin.FrameType.OP_FRAME))
    arm = ArmKinematics(model, "flange", lower=-np.ones(7), upper=np.ones(7), velocity=np.ones(7))
    with pytest.raises(ArmIkError, match="JointModelPZ"):
        arm.chain()


def test_a_missing_flange_frame_is_reported_with_the_frames_there_are(kin):
    with pytest.raises(ArmIkError, match=r"no frame 'tool0'.*arm_link_7"):
        ArmKinematics(kin.model, "tool0")


def test_an_unknown_arm_variant_is_reported():
    with pytest.raises(ArmIkError, match="rm75_x"):
        ArmKinematics.from_description("rm75_x")


def test_both_sides_get_their_own_joint_names_on_one_model():
    left = ArmKinematics.from_description("rm75_b", "left")
    right = ArmKinematics.from_description("rm75_b", "right")
    assert left.joint_names[0] == "left_arm_joint_1"
    assert right.joint_names[6] == "right_arm_joint_7"
    q = np.full(7, 0.3)
    np.testing.assert_array_equal(left.flange_pose(q), right.flange_pose(q))


def test_a_box_limited_task_step_never_increases_the_damped_linear_error(kin):
    from maniptrans_retarget.arm_ik_kernel import _damped_cost, _task_step

    rng = np.random.default_rng(11)
    R, p, J = np.empty((3, 3)), np.empty(3), np.empty((6, 7))
    placements, axes, flange = kin.chain()
    dq, free = np.empty(7), np.empty(7, dtype=np.bool_)
    for _ in range(2000):
        fk_jacobian(placements, axes, flange, kin.random_configuration(rng), R, p, J)
        J[3:] *= 0.25  # the solver's rotation weight [m/rad]
        e = np.concatenate([rng.normal(0, 0.1, 3), 0.25 * rng.normal(0, 0.8, 3)])  # far targets
        lam_sq = 1e-6 + 0.05 * float(e @ e)
        reach = rng.uniform(0.01, 0.2)  # a streaming step box, q_prev ± v·dt [rad]
        lo, hi = -rng.uniform(0, reach, 7), rng.uniform(0, reach, 7)
        _task_step(J, e, lam_sq, lo, hi, dq, free)
        assert np.all(dq >= lo) and np.all(dq <= hi)
        assert _damped_cost(J, e, lam_sq, dq) <= float(e @ e) + 1e-15
