"""Wrist poses to flange targets through the rig calibration, the same way for both sides."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest

from maniptrans_retarget.arm_errors import ArmIkError
from maniptrans_retarget.arm_targets import (
    FlangeTargets,
    invert,
    pose_to_matrix,
    world_sim_transform,
)


def test_pose_to_matrix_agrees_with_pinocchio_quaternions():
    rng = np.random.default_rng(0)
    quats = rng.normal(size=(20, 4))
    quats /= np.linalg.norm(quats, axis=1, keepdims=True)
    pos = rng.normal(size=(20, 3))
    T = pose_to_matrix(pos, quats)
    for k in range(20):
        x, y, z, w = quats[k]
        np.testing.assert_allclose(T[k, :3, :3], pin.Quaternion(w, x, y, z).matrix(), atol=1e-12)
        np.testing.assert_allclose(T[k, :3, 3], pos[k])
    np.testing.assert_allclose(invert(T) @ T, np.broadcast_to(np.eye(4), T.shape), atol=1e-12)


@pytest.mark.parametrize(
    ("position", "quat", "match"),
    [
        ([0.0, 0.0, np.nan], [0, 0, 0, 1], "finite"),
        ([0.0, 0.0, 0.0], [0, 0, 0, 2], "unit quaternions"),
        ([0.0, 0.0], [0, 0, 0, 1], r"\(\.\.\., 3\)"),
    ],
)
def test_bad_wrist_poses_are_refused_with_the_reason(position, quat, match):
    with pytest.raises(ArmIkError, match=match):
        pose_to_matrix(np.array(position), np.array(quat, dtype=float))


class _Rig:
    """A hand-made calibration: arms 0.6 m apart facing +x, mounts mirrored, sim world turned."""

    arm_variant = "rm75_b"

    def __init__(self) -> None:
        self.T_world_armbase = {
            "left": world_sim_transform(np.array([0.0, 0.3, 0.0]), 0.0),
            "right": world_sim_transform(np.array([0.0, -0.3, 0.0]), 0.0),
        }
        mount = np.eye(4)
        mount[:3, :3] = pin.rpy.rpyToMatrix(-np.pi / 2, 0.0, np.pi / 2)
        mirror = np.eye(4)
        mirror[:3, :3] = pin.rpy.rpyToMatrix(-np.pi / 2, 0.0, -np.pi / 2)
        self.T_flange_hand = {"left": mount, "right": mirror}
        self.T_world_sim = world_sim_transform(np.array([0.4, 0.0, 0.1]), 0.3)


@pytest.mark.parametrize("side", ["left", "right"])
def test_flange_target_follows_the_calibration_chain_for_either_side(side):
    rig = _Rig()
    rng = np.random.default_rng(1)
    q = rng.normal(size=4)
    T_sim_hand = pose_to_matrix(rng.normal(size=3) * 0.2, q / np.linalg.norm(q))
    targets = FlangeTargets.from_rig(rig, side)
    T_base_flange = targets.from_wrist(T_sim_hand)
    # the hand mounted on that flange, seen from the world, is where the sim wrist is
    world_hand = rig.T_world_armbase[side] @ T_base_flange @ rig.T_flange_hand[side]
    np.testing.assert_allclose(world_hand, rig.T_world_sim @ T_sim_hand, atol=1e-12)
    np.testing.assert_allclose(targets.to_wrist(T_base_flange), T_sim_hand, atol=1e-12)


def test_a_mirrored_wrist_track_gives_mirrored_flange_targets_on_a_symmetric_rig():
    rig = _Rig()
    rig.T_world_sim = world_sim_transform(np.array([0.4, 0.0, 0.0]), 0.0)  # on the mirror plane
    S = np.diag([1.0, -1.0, 1.0, 1.0])  # reflection y -> -y
    T_left = pose_to_matrix(np.array([0.1, 0.2, 0.3]), np.array([0.1, 0.2, 0.3, 0.927]))
    left = FlangeTargets.from_rig(rig, "left").from_wrist(T_left)
    # the right hand's pose is the reflected left pose with its mirrored frame (the mounts above
    # differ by the same reflection), so the flange positions mirror exactly
    T_right = S @ T_left @ S
    right = FlangeTargets.from_rig(rig, "right").from_wrist(T_right)
    np.testing.assert_allclose(right[:3, 3], S[:3, :3] @ left[:3, 3], atol=1e-12)


def test_an_unknown_side_is_refused():
    with pytest.raises(ArmIkError, match="middle"):
        FlangeTargets.from_rig(_Rig(), "middle")
