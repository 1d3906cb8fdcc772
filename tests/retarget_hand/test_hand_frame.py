"""Streaming mode's block solver: its kinematics against the general ones, its structure check."""

from __future__ import annotations

import numpy as np
import pytest

from maniptrans_description import inspire
from maniptrans_retarget.hand_description import load_hand
from maniptrans_retarget.hand_errors import HandRetargetError
from maniptrans_retarget.hand_frame import FrameSolver
from maniptrans_retarget.hand_kinematics import HandKinematics, chains_from_joints

SIDES = ("left", "right")


def _blocks_of(solver: FrameSolver) -> list[list[int]]:
    """Per block, its actuators in block-variable order (read back through to_blocks)."""
    flat = solver.to_blocks(np.arange(1.0, solver.n_actuators + 1.0))
    return [
        [int(v) - 1 for v in flat[2 * b : 2 * b + 2] if v != 0.0] for b in range(solver.n_blocks)
    ]


@pytest.mark.parametrize("side", SIDES)
def test_block_tips_and_derivatives_equal_the_general_kinematics(side):
    kin = load_hand(side)
    solver = FrameSolver(kin, [1.0] * 5)
    blocks = _blocks_of(solver)
    assert sorted(a for b in blocks for a in b) == list(range(6))
    assert [len(b) for b in blocks] == [2, 1, 1, 1, 1]  # thumb, then one actuator per finger
    rng = np.random.default_rng(11)
    x = rng.uniform(kin.lower - 0.3, kin.upper + 0.3, (6, 6))
    d = kin.derivatives(x)
    jac = d.jacobian().reshape(6, 5, 3, 6)
    hess = d.hessian().reshape(6, 5, 3, 6, 6)
    for k in range(len(x)):
        got = solver.tip_derivatives(solver.to_blocks(x[k]))  # (5, 6, 3)
        np.testing.assert_allclose(got[:, 0], d.tips[k], atol=1e-12)
        for b, acts in enumerate(blocks):
            a1 = acts[0]
            a2 = acts[1] if len(acts) == 2 else None
            np.testing.assert_allclose(got[b, 1], jac[k, b, :, a1], atol=1e-11)
            np.testing.assert_allclose(got[b, 3], hess[k, b, :, a1, a1], atol=1e-10)
            if a2 is None:  # the phantom second variable moves nothing
                np.testing.assert_array_equal(got[b, [2, 4, 5]], 0.0)
            else:
                np.testing.assert_allclose(got[b, 2], jac[k, b, :, a2], atol=1e-11)
                np.testing.assert_allclose(got[b, 4], hess[k, b, :, a1, a2], atol=1e-10)
                np.testing.assert_allclose(got[b, 5], hess[k, b, :, a2, a2], atol=1e-10)
    assert np.abs(jac).max() > 1e-3  # the comparison is not between zeros


@pytest.mark.parametrize("side", SIDES)
def test_block_round_trip_and_sim_targets_match_the_general_kinematics(side):
    kin = load_hand(side)
    solver = FrameSolver(kin, [1.0] * 5)
    rng = np.random.default_rng(12)
    x = rng.uniform(kin.lower, kin.upper)
    np.testing.assert_array_equal(solver.to_actuators(solver.to_blocks(x)), x)
    for q in rng.uniform(kin.joint_lower - 0.5, kin.joint_upper + 0.5, (8, 12)):
        np.testing.assert_allclose(solver.sim_tips(q), kin.tips_from_joints(q), atol=1e-12)


def test_a_hand_where_one_actuator_moves_two_fingertips_is_refused():
    side = "right"
    joints = inspire.joint_table(side)
    names = inspire.sim_joint_names(side)
    root = next(j.parent for j in joints if j.parent not in {k.child for k in joints})
    chains = chains_from_joints(joints, root, inspire.fingertip_frames(side), names)
    base = load_hand(side)
    A = base.coupling_matrix.copy()
    middle, index = 2, 3  # actuator order: little, ring, middle, index, thumb bend, rotation
    rows = A[:, middle] != 0.0
    A[rows, index], A[rows, middle] = A[rows, middle], 0.0  # the index actuator drives both
    kin = HandKinematics(
        chains,
        names,
        inspire.actuator_names(side),
        (A, base.coupling_offset),
        base.lower,
        base.upper,
    )
    with pytest.raises(HandRetargetError, match=r"exactly one fingertip.*index"):
        FrameSolver(kin, [1.0] * 5)
