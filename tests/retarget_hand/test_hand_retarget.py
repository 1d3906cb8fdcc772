"""Retargeting: optimality against a general-purpose solver, limits, smoothness, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq, minimize

from maniptrans_retarget.hand_description import load_hand
from maniptrans_retarget.hand_errors import HandRetargetError
from maniptrans_retarget.hand_fixtures import sweep_trajectory
from maniptrans_retarget.hand_retarget import HandRetargeter, RetargetConfig


@pytest.fixture(scope="module")
def sweep() -> np.ndarray:
    """A 3000-frame sim-hand trajectory moving every joint of the right hand through its range."""
    kin = load_hand("right")
    return sweep_trajectory(kin.joint_lower, kin.joint_upper, 3000, seed=1)


def _scipy_best(fun, x0_list, bounds) -> float:
    best = np.inf
    for x0 in x0_list:
        res = minimize(
            fun,
            x0,
            method="L-BFGS-B",
            bounds=bounds,
            options={"ftol": 1e-15, "gtol": 1e-13, "maxiter": 20000},
        )
        best = min(best, float(res.fun))
    return best


def _test_frames(kin, sweep: np.ndarray) -> np.ndarray:
    """Far-apart sweep frames plus a pose opened and one closed 0.2 rad beyond the sim joint
    ranges, where the optimum holds actuators on their lower / upper limits."""
    return np.vstack(
        [sweep[0], kin.joint_lower - 0.2, sweep[len(sweep) // 2], kin.joint_upper + 0.2, sweep[-1]]
    )


@pytest.mark.parametrize("side", ["left", "right"])
def test_trajectory_mode_finds_an_optimum_no_general_solver_improves_on(side):
    kin = load_hand(side)
    q = _test_frames(kin, sweep_trajectory(kin.joint_lower, kin.joint_upper, 400, seed=2))
    n, ws = len(q), 1e-4
    r = HandRetargeter(kin, RetargetConfig(smooth_weight=ws))
    res = r.trajectory(q)
    assert res.converged
    y = kin.tips_from_joints(q)

    def fun(z):  # the objective of the issue, written out independently of the solver
        x = z.reshape(n, 6)
        tips = np.sum((kin.tips_from_actuators(x) - y) ** 2) / (n * 5)
        return float(tips + ws / (n - 1) * np.sum(np.diff(x, axis=0) ** 2))

    assert res.cost == pytest.approx(fun(res.actuators.ravel()), rel=1e-12)
    assert res.cost == pytest.approx(r.cost(res.actuators, q), rel=1e-12)
    on_bound = (res.actuators == kin.lower) | (res.actuators == kin.upper)
    assert on_bound.any() and not on_bound.all()  # the active-set logic is exercised
    bounds = list(zip(np.tile(kin.lower, n), np.tile(kin.upper, n), strict=True))
    starts = [
        res.actuators.ravel(),
        kin.initial_guess(q).ravel(),
        np.tile((kin.lower + kin.upper) / 2, n),
    ]
    best = _scipy_best(fun, starts, bounds)
    assert res.cost <= best * (1 + 1e-9) + 1e-15
    assert np.all(res.actuators >= kin.lower) and np.all(res.actuators <= kin.upper)


@pytest.mark.parametrize("side", ["left", "right"])
def test_streaming_step_is_the_optimum_of_its_frame_problem(side):
    kin = load_hand(side)
    q = _test_frames(kin, sweep_trajectory(kin.joint_lower, kin.joint_upper, 600, seed=3))
    ws = 1e-4
    stream = HandRetargeter(kin, RetargetConfig(smooth_weight=ws)).streaming()
    seen_bounds = False
    for t in range(len(q)):
        previous = stream.previous
        x = stream.step(q[t])
        y = kin.tips_from_joints(q[t])

        def fun(z, y=y, previous=previous):  # the frame objective, written out independently
            f = float(np.sum((kin.tips_from_actuators(z) - y) ** 2) / 5)
            return f if previous is None else f + ws * float(np.sum((z - previous) ** 2))

        stream.previous = previous  # frame_cost is w.r.t. this frame's own previous output
        assert stream.frame_cost(x, q[t]) == pytest.approx(fun(x), rel=1e-12)
        stream.previous = x
        best = _scipy_best(
            fun,
            [x, kin.initial_guess(q[t]), (kin.lower + kin.upper) / 2],
            list(zip(kin.lower, kin.upper, strict=True)),
        )
        assert fun(x) <= best * (1 + 1e-9) + 1e-15, f"frame {t}"
        assert np.all(x >= kin.lower) and np.all(x <= kin.upper)
        seen_bounds |= bool(np.any((x == kin.lower) | (x == kin.upper)))
    assert seen_bounds  # the active-set logic is exercised


def test_poses_the_real_hand_can_reach_are_recovered_exactly():
    kin = load_hand("left")
    rng = np.random.default_rng(7)
    x_true = rng.uniform(kin.lower + 0.05, kin.upper - 0.05, (30, 6))
    q = kin.actuators_to_joints(x_true)  # sim joints on the real hand's mimic manifold
    r = HandRetargeter(kin, RetargetConfig(smooth_weight=0.0))
    res = r.trajectory(q)
    assert np.abs(res.actuators - x_true).max() < 1e-6
    assert r.tip_errors(q, res.actuators).max() < 1e-8


def test_streaming_output_matches_a_tightly_converged_solve(sweep):
    kin = load_hand("right")
    loose = HandRetargeter(kin).streaming()
    tight = HandRetargeter(
        kin, RetargetConfig(step_tolerance=1e-13, final_newton_step=1e-13)
    ).streaming()
    worst = max(np.abs(loose.step(q) - tight.step(q)).max() for q in sweep[:40])
    assert worst < 1e-6


def test_trajectory_mode_is_smoother_than_streaming_at_equal_tip_error(sweep):
    kin = load_hand("right")
    q = sweep[:1000]  # 16.7 s at 60 Hz: at least two full periods of every joint's sweep
    stream = HandRetargeter(kin, RetargetConfig(smooth_weight=2e-4)).streaming()
    x_stream = np.array([stream.step(qt) for qt in q])
    probe = HandRetargeter(kin)
    err_stream = float(np.mean(probe.tip_errors(q, x_stream) ** 2))
    step_stream = float(np.mean(np.diff(x_stream, axis=0) ** 2))
    warm = {"x0": None}  # each solve starts at the previous one's result

    def traj(ws):
        res = HandRetargeter(kin, RetargetConfig(smooth_weight=ws)).trajectory(q, x0=warm["x0"])
        assert res.converged
        warm["x0"] = x = res.actuators
        return float(np.mean(probe.tip_errors(q, x) ** 2)), float(np.mean(np.diff(x, axis=0) ** 2))

    # w_s of trajectory mode with streaming mode's tip error: a root in log w_s (the error
    # grows with w_s; the bracket is checked by brentq)
    log_ws = brentq(lambda s: traj(np.exp(s))[0] / err_stream - 1.0, np.log(1e-7), 0.0, xtol=1e-2)
    err_traj, step_traj = traj(np.exp(log_ws))
    assert err_traj == pytest.approx(err_stream, rel=0.01)
    assert step_traj < 0.99 * step_stream  # Pareto: never worse; here a few % smoother


def test_results_stay_within_the_actuator_limits_on_the_sweep(sweep):
    kin = load_hand("right")
    r = HandRetargeter(kin)
    res = r.trajectory(sweep)
    assert res.converged
    assert np.all(res.actuators >= kin.lower) and np.all(res.actuators <= kin.upper)
    err = r.tip_errors(sweep, res.actuators)
    assert err.shape == (len(sweep), 5)
    assert np.isfinite(err).all()
    # the sweep bends distal joints the real hand cannot bend alone: errors are real but bounded
    assert 1e-4 < err.mean() < 0.02


def test_bad_input_and_configuration_raise_errors_naming_the_problem():
    kin = load_hand("right")
    r = HandRetargeter(kin)
    q = np.zeros((4, 12))
    q[2, 5] = np.nan
    with pytest.raises(HandRetargetError, match=r"finite.*frame 2"):
        r.trajectory(q)
    with pytest.raises(HandRetargetError, match=r"expected shape \(T, 12\)"):
        r.trajectory(np.zeros((4, 6)))
    with pytest.raises(HandRetargetError, match="smooth_weight"):
        RetargetConfig(smooth_weight=-1.0)
    with pytest.raises(HandRetargetError, match="tip_weights: expected 5 values"):
        HandRetargeter(kin, RetargetConfig(tip_weights=(1.0, 1.0)))
