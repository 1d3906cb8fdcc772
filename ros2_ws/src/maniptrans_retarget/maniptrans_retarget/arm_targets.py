"""Where each flange must go: sim wrist poses mapped through the rig calibration.

    T_armbase_flange = T_world_armbase⁻¹ · T_world_sim · T_sim_hand · T_flange_hand⁻¹

``T_sim_hand`` is the sim hand's base (the "wrist") in the sim world, ``T_world_sim`` where the sim
world sits on the real table, ``T_world_armbase`` the arm base on the table and ``T_flange_hand``
the hand mount on the flange (all from ``maniptrans_description.rig.RigCalibration``). One code
path for both sides: the side only selects the calibration entries. Pure module: no rclpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from maniptrans_retarget.arm_errors import ArmIkError

QUAT_NORM_TOLERANCE = 1e-2
"""Largest |‖q‖ − 1| accepted for an input quaternion before it is renormalised [-]."""


def pose_to_matrix(position: np.ndarray, quat_xyzw: np.ndarray, what: str = "pose") -> np.ndarray:
    """Homogeneous matrices from positions [m] and unit quaternions (x, y, z, w).

    Args:
        position: shape (3,) or (T, 3).
        quat_xyzw: shape (4,) or (T, 4); renormalised if within ``QUAT_NORM_TOLERANCE`` of unit.
        what: name of the input, for error messages.

    Returns:
        Shape (4, 4) or (T, 4, 4).
    """
    p = np.asarray(position, dtype=float)
    q = np.asarray(quat_xyzw, dtype=float)
    if p.shape[-1:] != (3,) or q.shape[-1:] != (4,) or p.shape[:-1] != q.shape[:-1]:
        raise ArmIkError(
            f"{what}: expected positions (..., 3) and quaternions (..., 4) with matching "
            f"leading shape, found {p.shape} and {q.shape}"
        )
    if not (np.isfinite(p).all() and np.isfinite(q).all()):
        raise ArmIkError(f"{what}: expected finite values, found position {p}, quaternion {q}")
    norm = np.linalg.norm(q, axis=-1, keepdims=True)
    bad = np.abs(norm - 1.0) > QUAT_NORM_TOLERANCE
    if bad.any():
        raise ArmIkError(
            f"{what}: expected unit quaternions (x, y, z, w) within {QUAT_NORM_TOLERANCE}, found "
            f"norm {float(norm[bad].reshape(-1)[0]):.6g}"
        )
    x, y, z, w = np.moveaxis(q / norm, -1, 0)
    T = np.zeros((*p.shape[:-1], 4, 4))
    T[..., 0, 0] = 1 - 2 * (y * y + z * z)
    T[..., 0, 1] = 2 * (x * y - z * w)
    T[..., 0, 2] = 2 * (x * z + y * w)
    T[..., 1, 0] = 2 * (x * y + z * w)
    T[..., 1, 1] = 1 - 2 * (x * x + z * z)
    T[..., 1, 2] = 2 * (y * z - x * w)
    T[..., 2, 0] = 2 * (x * z - y * w)
    T[..., 2, 1] = 2 * (y * z + x * w)
    T[..., 2, 2] = 1 - 2 * (x * x + y * y)
    T[..., :3, 3] = p
    T[..., 3, 3] = 1.0
    return T


def invert(T: np.ndarray) -> np.ndarray:
    """Inverse of rigid transforms, shape (..., 4, 4)."""
    R = T[..., :3, :3]
    out = np.zeros_like(T)
    Rt = np.swapaxes(R, -1, -2)
    out[..., :3, :3] = Rt
    out[..., :3, 3] = -(Rt @ T[..., :3, 3:4])[..., 0]
    out[..., 3, 3] = 1.0
    return out


def world_sim_transform(xyz: np.ndarray, yaw: float) -> np.ndarray:
    """``T_world_sim`` of a sim world moved by ``xyz`` [m] and turned by ``yaw`` [rad] about z."""
    c, s = np.cos(yaw), np.sin(yaw)
    T = np.eye(4)
    T[:2, :2] = [[c, -s], [s, c]]
    T[:3, 3] = xyz
    return T


@dataclass(frozen=True)
class FlangeTargets:
    """Maps sim wrist poses of one side to flange targets in that arm's base frame.

    Attributes:
        side: "left" or "right".
        T_base_sim: the sim world in the arm base frame, 4x4.
        T_hand_flange: the flange in the hand base frame (inverse of the mount), 4x4.
    """

    side: str
    T_base_sim: np.ndarray
    T_hand_flange: np.ndarray

    @classmethod
    def from_rig(cls, rig, side: str, T_world_sim: np.ndarray | None = None) -> FlangeTargets:
        """From a ``RigCalibration``; ``T_world_sim`` overrides the calibrated sim placement."""
        if side not in ("left", "right"):
            raise ArmIkError(f"side: expected 'left' or 'right', found {side!r}")
        T_ws = rig.T_world_sim if T_world_sim is None else np.asarray(T_world_sim, dtype=float)
        T_base_sim = invert(np.asarray(rig.T_world_armbase[side], dtype=float)) @ T_ws
        return cls(side, T_base_sim, invert(np.asarray(rig.T_flange_hand[side], dtype=float)))

    def from_wrist(self, T_sim_hand: np.ndarray) -> np.ndarray:
        """Flange target(s) ``T_base_flange`` for wrist pose(s) (4, 4) or (T, 4, 4)."""
        return self.T_base_sim @ np.asarray(T_sim_hand, dtype=float) @ self.T_hand_flange

    def from_wrist_pose(self, position: np.ndarray, quat_xyzw: np.ndarray) -> np.ndarray:
        """Flange target(s) for wrist position(s) [m] and quaternion(s) (x, y, z, w)."""
        return self.from_wrist(pose_to_matrix(position, quat_xyzw, f"{self.side} wrist pose"))

    def to_wrist(self, T_base_flange: np.ndarray) -> np.ndarray:
        """The sim wrist pose(s) that a flange pose (4, 4) or (T, 4, 4) realises (inverse map)."""
        return invert(self.T_base_sim) @ np.asarray(T_base_flange) @ invert(self.T_hand_flange)
