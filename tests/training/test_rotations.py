"""The numpy rotation conversions agree with scipy, including the 180° corner cases."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from maniptrans_training.rotations import (
    axis_angle_to_matrix,
    matrix_to_axis_angle,
    matrix_to_quat,
    quat_to_matrix,
)


def test_matrix_to_quat_matches_scipy_with_nonnegative_w():
    R = Rotation.random(2000, random_state=1)
    q = R.as_quat()
    q *= np.where(q[:, 3:4] < 0, -1.0, 1.0)
    np.testing.assert_allclose(matrix_to_quat(R.as_matrix()), q, atol=1e-12)
    np.testing.assert_allclose(quat_to_matrix(matrix_to_quat(R.as_matrix())), R.as_matrix())


def test_axis_angle_round_trip_and_half_turns():
    v = Rotation.random(500, random_state=2).as_rotvec()
    np.testing.assert_allclose(matrix_to_axis_angle(axis_angle_to_matrix(v)), v, atol=1e-10)
    for axis in np.eye(3):
        R = axis_angle_to_matrix(np.pi * axis)
        got = matrix_to_axis_angle(R)
        assert np.isclose(np.linalg.norm(got), np.pi)
        np.testing.assert_allclose(np.abs(got), np.pi * axis, atol=1e-12)
    tiny = np.array([1e-10, -2e-10, 0.0])
    np.testing.assert_allclose(matrix_to_axis_angle(axis_angle_to_matrix(tiny)), tiny, atol=1e-15)
    assert matrix_to_quat(np.eye(3)[None, None]).shape == (1, 1, 4)
