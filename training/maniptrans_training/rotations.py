"""Rotation helpers on batched numpy arrays. Quaternions are (x, y, z, w) everywhere.

Thin, vectorised wrappers over :mod:`scipy.spatial.transform` plus the few operations it lacks
(angle between rotations, pose matrices, reflections).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation, Slerp


def quat_to_matrix(q: np.ndarray) -> np.ndarray:
    """(..., 4) x y z w -> (..., 3, 3)."""
    q = np.asarray(q, dtype=float)
    return Rotation.from_quat(q.reshape(-1, 4)).as_matrix().reshape(*q.shape[:-1], 3, 3)


def matrix_to_quat(R: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotation matrices -> (..., 4) x y z w with w >= 0.

    Vectorised Shepperd method (numpy; the hot path of the environment, ~10× faster than
    going through scipy for small batches).
    """
    R = np.asarray(R, dtype=float)
    m = R.reshape(-1, 3, 3)
    tr = m[:, 0, 0] + m[:, 1, 1] + m[:, 2, 2]
    diag = np.stack([m[:, 0, 0], m[:, 1, 1], m[:, 2, 2], tr], axis=1)
    k = np.argmax(diag, axis=1)
    q = np.empty((m.shape[0], 4))
    # case w largest
    s = np.sqrt(np.maximum(1.0 + tr, 1e-300)) * 2.0
    qw = np.stack(
        [
            (m[:, 2, 1] - m[:, 1, 2]) / s,
            (m[:, 0, 2] - m[:, 2, 0]) / s,
            (m[:, 1, 0] - m[:, 0, 1]) / s,
            0.25 * s,
        ],
        axis=1,
    )
    s0 = np.sqrt(np.maximum(1.0 + m[:, 0, 0] - m[:, 1, 1] - m[:, 2, 2], 1e-300)) * 2.0
    q0 = np.stack(
        [
            0.25 * s0,
            (m[:, 0, 1] + m[:, 1, 0]) / s0,
            (m[:, 0, 2] + m[:, 2, 0]) / s0,
            (m[:, 2, 1] - m[:, 1, 2]) / s0,
        ],
        axis=1,
    )
    s1 = np.sqrt(np.maximum(1.0 + m[:, 1, 1] - m[:, 0, 0] - m[:, 2, 2], 1e-300)) * 2.0
    q1 = np.stack(
        [
            (m[:, 0, 1] + m[:, 1, 0]) / s1,
            0.25 * s1,
            (m[:, 1, 2] + m[:, 2, 1]) / s1,
            (m[:, 0, 2] - m[:, 2, 0]) / s1,
        ],
        axis=1,
    )
    s2 = np.sqrt(np.maximum(1.0 + m[:, 2, 2] - m[:, 0, 0] - m[:, 1, 1], 1e-300)) * 2.0
    q2 = np.stack(
        [
            (m[:, 0, 2] + m[:, 2, 0]) / s2,
            (m[:, 1, 2] + m[:, 2, 1]) / s2,
            0.25 * s2,
            (m[:, 1, 0] - m[:, 0, 1]) / s2,
        ],
        axis=1,
    )
    q = np.where(
        (k == 3)[:, None], qw, np.where((k == 0)[:, None], q0, np.where((k == 1)[:, None], q1, q2))
    )
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    q *= np.where(q[:, 3:4] < 0, -1.0, 1.0)
    return q.reshape(*R.shape[:-2], 4)


def axis_angle_to_matrix(v: np.ndarray) -> np.ndarray:
    """(..., 3) rotation vector [rad] -> (..., 3, 3)."""
    v = np.asarray(v, dtype=float)
    return Rotation.from_rotvec(v.reshape(-1, 3)).as_matrix().reshape(*v.shape[:-1], 3, 3)


def matrix_to_axis_angle(R: np.ndarray) -> np.ndarray:
    """(..., 3, 3) -> (..., 3) rotation vector [rad], angle in [0, π]."""
    q = matrix_to_quat(R)
    v = q[..., :3]
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    angle = 2.0 * np.arctan2(n, q[..., 3:4])
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(n > 1e-12, angle / n, 2.0)  # small angles: 2·v
    return v * scale


def rotation_angle(R_a: np.ndarray, R_b: np.ndarray) -> np.ndarray:
    """(...,) geodesic angle [rad] between two batches of rotation matrices."""
    R = np.einsum("...ji,...jk->...ik", R_a, R_b)
    c = (np.trace(R, axis1=-2, axis2=-1) - 1.0) / 2.0
    return np.arccos(np.clip(c, -1.0, 1.0))


def pose_matrix(R: np.ndarray, p: np.ndarray) -> np.ndarray:
    """(..., 3, 3), (..., 3) -> (..., 4, 4) homogeneous transform."""
    R = np.asarray(R, dtype=float)
    T = np.zeros((*R.shape[:-2], 4, 4))
    T[..., :3, :3] = R
    T[..., :3, 3] = p
    T[..., 3, 3] = 1.0
    return T


def rot_x(a: np.ndarray | float) -> np.ndarray:
    """(..., 3, 3) rotation about x by ``a`` [rad]."""
    return Rotation.from_rotvec(np.multiply.outer(np.atleast_1d(a), [1.0, 0, 0])).as_matrix()


def rot_y(a: np.ndarray | float) -> np.ndarray:
    return Rotation.from_rotvec(np.multiply.outer(np.atleast_1d(a), [0, 1.0, 0])).as_matrix()


def rot_z(a: np.ndarray | float) -> np.ndarray:
    return Rotation.from_rotvec(np.multiply.outer(np.atleast_1d(a), [0, 0, 1.0])).as_matrix()


def slerp_matrices(t_src: np.ndarray, R: np.ndarray, t_dst: np.ndarray) -> np.ndarray:
    """Spherical interpolation of (T, 3, 3) rotations sampled at ``t_src`` onto ``t_dst`` [s]."""
    return Slerp(t_src, Rotation.from_matrix(R))(t_dst).as_matrix()


def reflection(axis: int) -> np.ndarray:
    """(3, 3) reflection that negates coordinate ``axis`` (0 = x, 1 = y, 2 = z)."""
    M = np.eye(3)
    M[axis, axis] = -1.0
    return M
