"""Small rigid-transform helpers (numpy only): URDF rpy, homogeneous 4x4, quaternions, MDH.

Conventions: URDF rpy means R = Rz(yaw) · Ry(pitch) · Rx(roll); quaternions here are (w, x, y, z)
(MuJoCo order); lengths in [m], angles in [rad].
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_GIMBAL_EPS = 1e-12


def rot_x(angle: float) -> np.ndarray:
    """3x3 rotation about x by ``angle`` [rad]."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rot_y(angle: float) -> np.ndarray:
    """3x3 rotation about y by ``angle`` [rad]."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rot_z(angle: float) -> np.ndarray:
    """3x3 rotation about z by ``angle`` [rad]."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def rpy_to_matrix(rpy: Sequence[float]) -> np.ndarray:
    """3x3 rotation of URDF ``rpy`` = (roll, pitch, yaw) [rad]: Rz(yaw) · Ry(pitch) · Rx(roll)."""
    roll, pitch, yaw = (float(v) for v in rpy)
    return rot_z(yaw) @ rot_y(pitch) @ rot_x(roll)


def matrix_to_rpy(R: np.ndarray) -> tuple[float, float, float]:
    """URDF (roll, pitch, yaw) [rad] of a 3x3 rotation; at pitch = ±π/2 the yaw is set to 0."""
    R = np.asarray(R, dtype=float)
    cos_pitch = float(np.hypot(R[0, 0], R[1, 0]))
    pitch = float(np.arctan2(-R[2, 0], cos_pitch))
    if cos_pitch > _GIMBAL_EPS:
        roll = float(np.arctan2(R[2, 1], R[2, 2]))
        yaw = float(np.arctan2(R[1, 0], R[0, 0]))
    else:  # gimbal lock: only roll ∓ yaw is defined; put it all in roll
        yaw = 0.0
        roll = float(np.arctan2(-R[1, 2], R[1, 1]))
    return roll, pitch, yaw


def make_transform(xyz: Sequence[float], rpy: Sequence[float] = (0.0, 0.0, 0.0)) -> np.ndarray:
    """4x4 homogeneous transform from a translation [m] and URDF rpy [rad]."""
    T = np.eye(4)
    T[:3, :3] = rpy_to_matrix(rpy)
    T[:3, 3] = np.asarray(xyz, dtype=float)
    return T


def transform_to_xyz_rpy(
    T: np.ndarray,
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """(xyz [m], rpy [rad]) of a 4x4 homogeneous transform."""
    T = np.asarray(T, dtype=float)
    x, y, z = (float(v) for v in T[:3, 3])
    return (x, y, z), matrix_to_rpy(T[:3, :3])


def matrix_to_quat_wxyz(R: np.ndarray) -> np.ndarray:
    """Unit quaternion (w, x, y, z) with w >= 0 of a 3x3 rotation matrix."""
    R = np.asarray(R, dtype=float)
    trace = R[0, 0] + R[1, 1] + R[2, 2]
    if trace > 0.0:
        s = 2.0 * np.sqrt(trace + 1.0)
        q = np.array(
            [0.25 * s, (R[2, 1] - R[1, 2]) / s, (R[0, 2] - R[2, 0]) / s, (R[1, 0] - R[0, 1]) / s]
        )
    elif R[0, 0] > R[1, 1] and R[0, 0] > R[2, 2]:
        s = 2.0 * np.sqrt(1.0 + R[0, 0] - R[1, 1] - R[2, 2])
        q = np.array(
            [(R[2, 1] - R[1, 2]) / s, 0.25 * s, (R[0, 1] + R[1, 0]) / s, (R[0, 2] + R[2, 0]) / s]
        )
    elif R[1, 1] > R[2, 2]:
        s = 2.0 * np.sqrt(1.0 + R[1, 1] - R[0, 0] - R[2, 2])
        q = np.array(
            [(R[0, 2] - R[2, 0]) / s, (R[0, 1] + R[1, 0]) / s, 0.25 * s, (R[1, 2] + R[2, 1]) / s]
        )
    else:
        s = 2.0 * np.sqrt(1.0 + R[2, 2] - R[0, 0] - R[1, 1])
        q = np.array(
            [(R[1, 0] - R[0, 1]) / s, (R[0, 2] + R[2, 0]) / s, (R[1, 2] + R[2, 1]) / s, 0.25 * s]
        )
    q /= np.linalg.norm(q)
    return -q if q[0] < 0.0 else q


def mdh_transform(a: float, alpha: float, d: float, theta: float) -> np.ndarray:
    """Modified-DH (Craig) link transform RotX(alpha)·TransX(a)·RotZ(theta)·TransZ(d).

    Args:
        a: link length a_{i-1} [m]. alpha: link twist α_{i-1} [rad].
        d: link offset d_i [m]. theta: joint angle θ_i plus its offset [rad].
    """
    T = np.eye(4)
    T[:3, :3] = rot_x(alpha) @ rot_z(theta)
    T[:3, 3] = rot_x(alpha) @ np.array([a, 0.0, 0.0]) + rot_x(alpha) @ rot_z(theta) @ np.array(
        [0.0, 0.0, d]
    )
    return T
