"""Arm IK behaviour: convergence, joint limits, unreachable targets, singularities, streaming."""

from __future__ import annotations

import math

import numpy as np
import pytest

from maniptrans_retarget.arm_errors import ArmIkError
from maniptrans_retarget.arm_ik import ArmIk, IkConfig, IkStream

TOL_P = 1e-4  # [m]
TOL_R = math.radians(0.1)  # [rad]
DT = 1.0 / 60.0  # transferred tasks are 60 Hz


def joint_path(qa, qb, n: int) -> np.ndarray:
    """(n, 7) straight line in joint space from qa to qb [rad]."""
    s = np.linspace(0.0, 1.0, n)[:, None]
    return np.asarray(qa) + s * (np.asarray(qb) - np.asarray(qa))


def _check_pose(kin, q, T, tol_p=TOL_P, tol_r=TOL_R):
    """Independent check with Pinocchio (not the kernel): the flange at q is at T."""
    M = kin.flange_pose(q)
    assert np.linalg.norm(M[:3, 3] - T[:3, 3]) < tol_p
    cos = np.clip((np.trace(M[:3, :3].T @ T[:3, :3]) - 1) / 2, -1, 1)
    assert math.acos(cos) < tol_r


def test_random_reachable_targets_converge_to_a_tenth_of_a_millimetre_and_degree(kin, ik):
    rng = np.random.default_rng(0)
    for _ in range(300):
        q_true = kin.random_configuration(rng)
        T = kin.flange_pose(q_true)
        seed = np.clip(q_true + rng.uniform(-0.3, 0.3, 7), kin.lower, kin.upper)
        res = ik.solve(T, seed)
        assert res.converged, (q_true, res)
        assert res.position_error < TOL_P and res.rotation_error < TOL_R
        _check_pose(kin, res.q, T)
        assert np.all(res.q >= kin.lower) and np.all(res.q <= kin.upper)


def test_the_reported_residuals_are_the_true_pose_errors(kin, ik):
    q_true = np.array([0.4, -0.6, 0.2, 1.1, -0.3, 0.7, 0.2])
    T = kin.flange_pose(q_true)
    res = ik.solve(T, q_true + 0.3, dt=DT)  # one step-limited frame: far from converged
    assert not res.converged
    M = kin.flange_pose(res.q)
    assert res.position_error == pytest.approx(np.linalg.norm(M[:3, 3] - T[:3, 3]), rel=1e-9)
    cos = (np.trace(M[:3, :3].T @ T[:3, :3]) - 1) / 2
    assert res.rotation_error == pytest.approx(math.acos(np.clip(cos, -1, 1)), abs=1e-7)


@pytest.mark.parametrize("joint", range(7))
@pytest.mark.parametrize("bound", ["lower", "upper"])
def test_targets_with_a_joint_at_or_near_its_limit_converge_inside_the_limits(
    kin, ik, joint, bound
):
    rng = np.random.default_rng(10 * joint + (bound == "upper"))
    for offset in (0.0, 1e-4, 1e-2):
        q_true = kin.random_configuration(rng, margin=0.3)
        q_true[joint] = (
            kin.lower[joint] + offset if bound == "lower" else kin.upper[joint] - offset
        )
        T = kin.flange_pose(q_true)
        # seed pushed out past the limit: the solver has to respect the bound while converging
        seed = q_true + rng.uniform(-0.3, 0.3, 7)
        seed[joint] = q_true[joint] + (0.3 if bound == "upper" else -0.3)
        res = ik.solve(T, seed)
        assert res.converged, (joint, bound, offset, res)
        assert np.all(res.q >= kin.lower) and np.all(res.q <= kin.upper)
        _check_pose(kin, res.q, T)


def test_limits_are_enforced_inside_the_iterations_not_by_clipping_afterwards(kin, ik):
    """A target from a configuration beyond joint 2's limit: clipping a free solution would
    leave a pose error; the solver instead holds joint 2 at its bound and the other six joints
    still bring the flange as close as they can, staying inside the limits."""
    q_far = np.array([0.2, 2.45, 0.1, 0.8, 0.1, 0.5, 0.0])  # joint 2 limit is 2.269 rad
    T = kin.flange_pose(q_far)
    res = ik.solve(T, np.clip(q_far, kin.lower, kin.upper))
    assert np.all(res.q >= kin.lower) and np.all(res.q <= kin.upper)
    clipped = np.clip(q_far, kin.lower, kin.upper)
    M = kin.flange_pose(clipped)
    clipped_error = np.linalg.norm(M[:3, 3] - T[:3, 3])
    assert res.position_error < 0.5 * clipped_error


def test_a_target_beyond_reach_is_flagged_with_its_residual_and_the_arm_stretches_toward_it(
    kin, ik
):
    T = np.eye(4)
    T[:3, 3] = [1.5, 0.0, 0.5]  # RM75-B reaches 0.61 m from the shoulder at z = 0.2405 m
    shoulder = np.array([0.0, 0.0, 0.2405])
    distance = np.linalg.norm(T[:3, 3] - shoulder)
    res = ik.solve(T, ik.posture)
    assert not res.converged
    assert res.position_error >= distance - 0.611
    assert res.position_error < distance - 0.611 + 0.05  # nearly the closest reachable point
    M = kin.flange_pose(res.q)
    assert res.position_error == pytest.approx(np.linalg.norm(M[:3, 3] - T[:3, 3]), rel=1e-9)


def test_streaming_toward_an_unreachable_target_never_jumps(kin, ik):
    q0 = np.array([0.0, 0.5, 0.0, 1.2, 0.0, 0.6, 0.0])
    T_far = np.eye(4)
    T_far[:3, 3] = [-1.2, 0.8, 0.3]
    stream = IkStream(ik, q0)
    limit = ik.max_velocity * DT
    q_prev = q0
    for _ in range(300):
        res = stream.step(T_far, DT)
        assert not res.converged
        assert np.all(np.abs(res.q - q_prev) <= limit + 1e-12)
        q_prev = res.q
    # it has settled near the closest reachable pose (a weighted position/rotation optimum) and
    # stays there instead of chattering at the stretched-elbow singularity
    reach_bound = np.linalg.norm(T_far[:3, 3] - [0.0, 0.0, 0.2405]) - 0.611
    for _ in range(20):
        res = stream.step(T_far, DT)
        assert reach_bound <= res.position_error < reach_bound + 0.1
        assert np.abs(res.q - q_prev).max() < 0.005
        q_prev = res.q


@pytest.mark.parametrize(
    ("name", "qa", "qb"),
    [
        # elbow fully stretched (q4 = 0): the boundary singularity; the path crosses to q4 < 0
        ("elbow", [0.3, 0.5, 0.2, 0.4, 0.3, 0.5, 0.2], [0.3, 0.5, 0.2, -0.4, 0.3, 0.5, 0.2]),
        # shoulder and wrist aligned at once (q2 = q6 = 0): the Jacobian drops to rank 5
        (
            "shoulder+wrist",
            [0.3, -0.4, 0.5, 1.2, 0.3, -0.5, 0.2],
            [0.5, 0.4, 0.1, 1.0, 0.6, 0.5, 0.4],
        ),
        # straight up (q = 0): axes 1, 3, 5, 7 aligned, rank 4
        ("straight up", [0.3] * 7, [-0.3] * 7),
    ],
)
def test_a_trajectory_through_a_singularity_is_followed_without_a_jump(kin, ik, name, qa, qb):
    Q = joint_path(qa, qb, 121)  # 2 s at 60 Hz
    targets = np.array([kin.flange_pose(q) for q in Q])
    sv_min = min(np.linalg.svd(_jacobian(kin, q), compute_uv=False)[-1] for q in Q)
    assert sv_min < 1e-6, "the path must really pass the singular configuration"
    res = ik.solve_trajectory(targets, Q[0], DT)
    assert res.converged.all(), (name, res.unreachable_frames)
    steps = np.abs(np.diff(res.q, axis=0))
    assert np.all(steps <= ik.max_velocity * DT + 1e-12)
    # continuous: no joint moves more than 3x the reference path's largest step per frame
    assert steps.max() < 3 * np.abs(np.diff(Q, axis=0)).max()


def _jacobian(kin, q):
    import pinocchio as pin

    return pin.computeFrameJacobian(kin.model, kin.data, q, kin.flange_id, pin.LOCAL_WORLD_ALIGNED)


def test_a_continuous_trajectory_is_tracked_within_tolerance_and_the_per_step_limit(kin, ik):
    t = np.arange(0.0, 10.0, DT)
    rng = np.random.default_rng(1)
    center = np.array([0.2, 0.6, -0.3, 1.2, 0.2, 0.8, 0.3])
    Q = center + rng.uniform(0.2, 0.5, 7) * np.sin(
        2 * np.pi * rng.uniform(0.05, 0.2, 7) * t[:, None] + rng.uniform(0, 6, 7)
    )
    targets = np.array([kin.flange_pose(q) for q in Q])
    res = ik.solve_trajectory(targets, Q[0], DT)
    assert res.converged.all(), res.unreachable_frames
    assert res.unreachable_frames.size == 0
    assert np.all(np.abs(np.diff(res.q, axis=0)) <= ik.max_velocity * DT + 1e-12)
    assert np.all(res.position_error < TOL_P) and np.all(res.rotation_error < TOL_R)


def test_trajectory_mode_reports_the_frames_it_could_not_reach(kin, ik):
    Q = joint_path([0.0, 0.5, 0.0, 1.2, 0.0, 0.6, 0.0], [0.3, 0.7, 0.1, 1.0, 0.2, 0.5, 0.1], 60)
    targets = np.array([kin.flange_pose(q) for q in Q])
    targets[20:25, :3, 3] += [2.0, 0.0, 0.0]  # five frames thrown 2 m out of reach
    res = ik.solve_trajectory(targets, Q[0], DT)
    assert set(range(20, 25)) <= set(res.unreachable_frames.tolist())
    assert res.converged[:20].all()
    assert res.converged[-10:].all()  # recovered once the targets came back
    assert np.all(np.abs(np.diff(res.q, axis=0)) <= ik.max_velocity * DT + 1e-12)


def test_streaming_pulls_the_redundancy_toward_the_posture_while_the_flange_stays(kin):
    posture = (0.0, 0.6, 0.0, 1.2, 0.0, 0.6, 0.0)
    ik = ArmIk(kin, IkConfig(posture=posture, posture_gain=2.0))
    q0 = np.array([0.6, 0.4, -0.8, 1.3, 0.5, 0.7, -0.4])
    T = kin.flange_pose(q0)
    stream = IkStream(ik, q0)
    for _ in range(300):
        res = stream.step(T, DT)
        assert res.converged
    assert np.linalg.norm(res.q - ik.posture) < 0.5 * np.linalg.norm(q0 - ik.posture)
    _check_pose(kin, res.q, T)


def test_one_off_solves_stay_at_the_seed_when_it_already_fits(kin, ik):
    q = np.array([0.5, -0.3, 0.2, 0.9, 0.1, -0.4, 0.3])
    res = ik.solve(kin.flange_pose(q), q)
    assert res.iterations == 0
    np.testing.assert_array_equal(res.q, q)


def test_multistart_finds_a_solution_far_from_the_posture(kin, ik):
    rng = np.random.default_rng(5)
    q_true = np.array([2.5, -1.5, 2.0, -2.0, 2.5, -1.5, 4.0])
    res = ik.solve_multistart(kin.flange_pose(q_true), rng)
    assert res.converged


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"T_base_flange": np.full((4, 4), np.nan), "q_seed": np.zeros(7)}, "finite"),
        ({"T_base_flange": np.eye(4), "q_seed": np.full(7, np.inf)}, "finite"),
        ({"T_base_flange": np.eye(3), "q_seed": np.zeros(7)}, "4x4"),
        ({"T_base_flange": np.eye(4), "q_seed": np.zeros(6)}, r"\(6,\)"),
        ({"T_base_flange": np.eye(4), "q_seed": np.zeros(7), "dt": 0.0}, "dt"),
        ({"T_base_flange": np.eye(4), "q_seed": np.zeros(7), "dt": float("nan")}, "dt"),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_it(ik, kwargs, match):
    with pytest.raises(ArmIkError, match=match):
        ik.solve(**kwargs)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("position_tolerance", 0.0),
        ("rotation_tolerance", -1.0),
        ("damping", float("nan")),
        ("max_iterations", 0),
        ("posture", (0.0,) * 6),
        ("max_joint_velocity", (1.0,) * 6 + (0.0,)),
    ],
)
def test_bad_settings_are_refused_naming_the_field(field, value):
    with pytest.raises(ArmIkError, match=field):
        IkConfig(**{field: value})


def test_a_posture_outside_the_limits_is_refused(kin):
    with pytest.raises(ArmIkError, match="posture"):
        ArmIk(kin, IkConfig(posture=(0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0)))


def test_a_stream_started_far_from_a_reachable_target_keeps_approaching_it_until_it_arrives(kin):
    # the comfortable posture to a flange pose ~14 cm and ~70° away (hands low over a table): a
    # step-limited stream once stalled here for good after its first step
    ik = ArmIk(kin, IkConfig())
    T = kin.flange_pose(np.array([-0.48, 1.414, 0.239, 1.385, -0.439, -0.978, -0.154]))
    stream = IkStream(ik, ik.posture)
    dt = 1.0 / 30.0  # the player re-sends the first frame at 30 Hz while the drivers get ready
    errors = []
    for _ in range(90):
        q_before = stream.q
        res = stream.step(T, dt)
        assert np.all(np.abs(res.q - q_before) <= ik.max_velocity * dt + 1e-12)
        errors.append(res.position_error + 0.25 * res.rotation_error)
        if res.converged:
            break
    assert res.converged, f"stalled {res.position_error:.3f} m / {res.rotation_error:.2f} rad away"
    assert np.all(np.diff(errors) < 1e-9), "the weighted error grew on the way"
    _check_pose(kin, res.q, T)
