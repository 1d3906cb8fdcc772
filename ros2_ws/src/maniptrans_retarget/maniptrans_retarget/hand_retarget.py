"""12→6 hand retargeting: fingertip alignment + temporal smoothness, within actuator limits.

Given sim-hand joint positions ``q`` (T, NQ), the real-hand actuator positions ``x`` (T, NA)
minimise

    F(x) = 1/(T·M) Σ_t Σ_i w_i ‖tip_i(x_t) − tip_i^sim(q_t)‖² + w_s/(T−1) Σ_t ‖x_{t+1} − x_t‖²

subject to ``lower ≤ x ≤ upper``, tips in the hand base frame, mimic couplings applied.

* **Trajectory mode** (:meth:`HandRetargeter.trajectory`) solves the whole trajectory jointly. The
  smoothness term couples neighbouring frames only, so the Hessian is block-tridiagonal: with the
  unknowns interleaved frame by frame it is a symmetric band matrix of half-bandwidth NA, and each
  Newton step is one banded Cholesky solve, O(T).
* **Streaming mode** (:class:`StreamingRetargeter`) solves one frame at a time, warm-started at the
  previous output, with ``w_s ‖x − x_prev‖²`` as the smoothness term. Each actuator moves one
  fingertip only, so the frame problem splits into independent blocks of one or two actuators
  (four fingers, the thumb); :mod:`~maniptrans_retarget.hand_frame` solves them side by side.

Both are projected Newton methods (Bertsekas' active-set variant for box constraints) on the
exact Hessian from the closed-form kinematics, falling back to the Gauss–Newton Hessian when the
exact one is not positive definite, with a backtracking Armijo search along the projected path.
They stop when a step moves no actuator by more than ``step_tolerance`` (or after a short exact
Newton step, see :class:`RetargetConfig`; streaming mode applies the rule per block): the
result is a KKT point of F.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.linalg import LinAlgError, solveh_banded

from maniptrans_retarget.hand_errors import HandRetargetError
from maniptrans_retarget.hand_frame import FrameSolver
from maniptrans_retarget.hand_kinematics import HandKinematics, TipDerivatives

_ARMIJO = 1e-4  # sufficient-decrease fraction of the line search
_MAX_HALVINGS = 30  # line-search step halvings before giving up
_ACTIVE_EPS = 1e-12  # [rad] a variable this close to a bound counts as on it


@dataclass(frozen=True)
class RetargetConfig:
    """Weights and stopping rule of the retargeting objective.

    ``smooth_weight``: w_s [m²/rad²], weight of the mean squared actuator step against the mean
    squared fingertip error. ``tip_weights``: one weight per fingertip (thumb, index, middle,
    ring, pinky), dimensionless. ``max_iterations``: Newton iterations per solve (per frame in
    streaming mode). ``step_tolerance`` [rad]: converged once a step moves no actuator by more
    than this. ``final_newton_step`` [rad]: a step of the exact-Hessian Newton method no longer
    than this is the last one, taken without a further evaluation: Newton converges
    quadratically there, the error after it is ~κ·step² with κ ≲ 1 rad⁻¹ for this hand, i.e.
    below 1e-7 rad with the default.
    """

    smooth_weight: float = 2e-5
    tip_weights: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0)
    max_iterations: int = 100
    step_tolerance: float = 1e-7
    final_newton_step: float = 3e-4

    def __post_init__(self) -> None:
        if not (math.isfinite(self.smooth_weight) and self.smooth_weight >= 0.0):
            raise HandRetargetError(
                f"smooth_weight: expected a finite value >= 0 m²/rad², found {self.smooth_weight}"
            )
        w = tuple(float(v) for v in self.tip_weights)
        if not w or any(not (math.isfinite(v) and v >= 0.0) for v in w) or sum(w) <= 0.0:
            raise HandRetargetError(
                f"tip_weights: expected finite values >= 0, not all zero, found {self.tip_weights}"
            )
        object.__setattr__(self, "tip_weights", w)
        if int(self.max_iterations) < 1:
            raise HandRetargetError(f"max_iterations: expected >= 1, found {self.max_iterations}")
        for name in ("step_tolerance", "final_newton_step"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0.0):
                raise HandRetargetError(f"{name}: expected a finite value > 0 rad, found {value}")


@dataclass(frozen=True)
class TrajectoryResult:
    """Output of trajectory mode. ``actuators`` (T, NA) [rad]; ``cost`` = F at the result."""

    actuators: np.ndarray
    cost: float
    iterations: int
    converged: bool


@dataclass
class _Terms:
    """Per-frame tip terms at x: value Σ w‖r‖² (B,), gradient (B, NA), Hessians (B, NA, NA)."""

    value: np.ndarray
    grad: np.ndarray
    hess_gn: np.ndarray
    hess: np.ndarray


class HandRetargeter:
    """Retargets sim-hand joint trajectories to real-hand actuator trajectories (one side)."""

    def __init__(self, kinematics: HandKinematics, config: RetargetConfig | None = None) -> None:
        self.kin = kinematics
        self.config = config or RetargetConfig()
        if len(self.config.tip_weights) != self.kin.n_tips:
            raise HandRetargetError(
                f"tip_weights: expected {self.kin.n_tips} values "
                f"({', '.join(self.kin.tip_frames)}), found {len(self.config.tip_weights)}"
            )
        self._w = np.asarray(self.config.tip_weights, dtype=float)
        self.frame_solver = FrameSolver(self.kin, self._w)  # streaming mode's one-frame solver
        self._w3 = np.repeat(self._w, 3)[None, :]  # (1, M·3) weight of each tip coordinate

    # -- shared pieces ----------------------------------------------------------------------------

    def targets(self, q_sim: np.ndarray) -> np.ndarray:
        """Sim fingertips (T, M, 3) [m] of sim joint positions (T, NQ), validated."""
        q = np.asarray(q_sim, dtype=float)
        nq = len(self.kin.joint_names)
        if q.ndim != 2 or q.shape[1] != nq or q.shape[0] < 1:
            raise HandRetargetError(
                f"sim joint positions: expected shape (T, {nq}), found {q.shape}"
            )
        if not np.isfinite(q).all():
            bad = np.argwhere(~np.isfinite(q))[0]
            raise HandRetargetError(
                f"sim joint positions: expected finite values, found {q[tuple(bad)]} at frame "
                f"{bad[0]}, joint {self.kin.joint_names[bad[1]]}"
            )
        return self.kin.tips_from_joints(q)

    def tip_errors(self, q_sim: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Fingertip distances (T, M) [m]: real hand at actuators ``x``, sim hand at ``q_sim``."""
        return np.linalg.norm(self.kin.tips_from_actuators(x) - self.targets(q_sim), axis=-1)

    def _tip_value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Σ_i w_i ‖tip_i(x_t) − y_ti‖² per frame (B,) [m²]."""
        r = self.kin.tips_from_actuators(x) - y
        return np.einsum("bmx,bmx,m->b", r, r, self._w)

    def _assemble(self, d: TipDerivatives, y: np.ndarray) -> _Terms:
        """Cost terms from the tip derivatives ``d`` at x and the targets ``y`` (B, M, 3)."""
        nb = y.shape[0]
        na = self.kin.n_actuators
        sp = d.sparsity
        r = (d.tips - y).reshape(nb, -1)  # (B, M·3)
        wr = r * self._w3
        value = np.sum(wr * r, axis=1)
        jv = d.jac_values  # (B, nJ)
        grad = 2.0 * ((wr[:, sp.jac_row] * jv) @ sp.jac_sum)
        pair = self._w3[:, sp.pair_row] * jv[:, sp.pair_i] * jv[:, sp.pair_j]
        hess_gn = 2.0 * (pair @ sp.pair_sum).reshape(nb, na, na)
        second = 2.0 * ((wr[:, sp.hess_row] * d.hess_values) @ sp.hess_sum).reshape(nb, na, na)
        return _Terms(value, grad, hess_gn, hess_gn + second)

    def _terms(self, x: np.ndarray, y: np.ndarray) -> _Terms:
        return self._assemble(self.kin.derivatives(x), y)

    def _clip(self, x: np.ndarray) -> np.ndarray:
        return np.minimum(np.maximum(x, self.kin.lower), self.kin.upper)

    def _active(self, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        lo, hi = self.kin.lower, self.kin.upper
        return ((x <= lo + _ACTIVE_EPS) & (g > 0.0)) | ((x >= hi - _ACTIVE_EPS) & (g < 0.0))

    # -- trajectory mode --------------------------------------------------------------------------

    def cost(self, x: np.ndarray, q_sim: np.ndarray) -> float:
        """The trajectory objective F(x) for actuators (T, NA) and sim joints (T, NQ)."""
        y = self.targets(q_sim)
        x = np.asarray(x, dtype=float)
        return self._cost(self._tip_value(x, y), x)

    def _scales(self, n_frames: int) -> tuple[float, float]:
        alpha = 1.0 / (n_frames * self.kin.n_tips)
        beta = self.config.smooth_weight / (n_frames - 1) if n_frames > 1 else 0.0
        return alpha, beta

    def _cost(self, tip_value: np.ndarray, x: np.ndarray) -> float:
        alpha, beta = self._scales(x.shape[0])
        return float(alpha * tip_value.sum() + beta * np.sum(np.diff(x, axis=0) ** 2))

    def trajectory(self, q_sim: np.ndarray, x0: np.ndarray | None = None) -> TrajectoryResult:
        """Trajectory mode: the jointly optimal actuator trajectory (T, NA) [rad] for ``q_sim``.

        ``x0`` (T, NA): initial guess; default: each actuator's leader joint in ``q_sim``, clipped.
        """
        y = self.targets(q_sim)
        n_frames, na = y.shape[0], self.kin.n_actuators
        x = self.kin.initial_guess(q_sim) if x0 is None else np.asarray(x0, dtype=float)
        if x.shape != (n_frames, na):
            raise HandRetargetError(f"x0: expected shape ({n_frames}, {na}), found {x.shape}")
        x = self._clip(x)
        alpha, beta = self._scales(n_frames)
        terms = self._terms(x, y)
        f = self._cost(terms.value, x)
        converged = False
        it = 0
        while it < self.config.max_iterations:
            it += 1
            lap = np.zeros_like(x)  # L x with L = Dᵀ D (per actuator)
            dx = np.diff(x, axis=0)
            lap[1:] += dx
            lap[:-1] -= dx
            g = alpha * terms.grad + 2.0 * beta * lap
            active = self._active(x, g)
            d = self._banded_step(alpha * terms.hess, beta, g, active)
            exact = d is not None and np.sum(g * d) < 0.0
            if not exact:
                d = self._banded_step(alpha * terms.hess_gn, beta, g, active, damping=1e-9)
            if d is None:  # cannot happen with a PSD Gauss–Newton block + damping; be safe
                d = -np.where(active, 0.0, g)
            size = float(np.max(np.abs(d)))
            if size <= (self.config.final_newton_step if exact else self.config.step_tolerance):
                x = self._clip(x + d)  # the last, tiny Newton step: no line search needed
                f = self._cost(self._tip_value(x, y), x)
                converged = True
                break
            step = 1.0
            for _ in range(_MAX_HALVINGS):
                xn = self._clip(x + step * d)
                tn = self._terms(xn, y)
                fn = self._cost(tn.value, xn)
                if fn <= f + _ARMIJO * np.sum(g * (xn - x)):
                    break
                step *= 0.5
            else:
                converged = True  # no decrease possible along the projected path: stationary
                break
            x, terms, f = xn, tn, fn
        return TrajectoryResult(x, f, it, converged)

    def _banded_step(
        self,
        hess: np.ndarray,
        beta: float,
        g: np.ndarray,
        active: np.ndarray,
        damping: float = 0.0,
    ) -> np.ndarray | None:
        """Newton direction of blockdiag(hess) + 2β (Dᵀ D ⊗ I), active variables held fixed.

        Upper banded storage for ``solveh_banded``: ``ab[u + i − j, j] = H[i, j]``, u = NA.
        Returns None when the matrix is not positive definite.
        """
        n_frames, na = g.shape
        n = n_frames * na
        ab = np.zeros((na + 1, n))
        deg = np.full(n_frames, 2.0)
        deg[0] = deg[-1] = 1.0
        if n_frames == 1:
            deg[0] = 0.0
        diag = np.diagonal(hess, axis1=1, axis2=2) + 2.0 * beta * deg[:, None]
        if damping > 0.0:
            diag = diag + damping * max(float(np.max(np.abs(diag))), 1e-300)
        ab[na] = diag.ravel()
        for off in range(1, na):  # within a frame: H_t[b - off, b] at column b
            band = ab[na - off].reshape(n_frames, na)
            band[:, off:] = hess[:, np.arange(na - off), np.arange(off, na)]
        ab[0, na:] = -2.0 * beta  # x_t with x_{t+1}, same actuator
        act = active.ravel()
        if act.any():
            for off in range(1, na + 1):
                ab[na - off, off:] *= ~(act[:-off] | act[off:])
            ab[na, act] = 1.0
        rhs = -np.where(active, 0.0, g).ravel()
        try:
            d = solveh_banded(ab, rhs, lower=False, check_finite=False)
        except LinAlgError:
            return None
        return d.reshape(n_frames, na)

    def streaming(self) -> StreamingRetargeter:
        """A streaming-mode retargeter with this one's kinematics and configuration."""
        return StreamingRetargeter(self)


class StreamingRetargeter:
    """Streaming mode: one frame at a time, warm-started and smooth w.r.t. the previous output.

    Per frame it minimises ``1/M Σ_i w_i ‖tip_i(x) − tip_i^sim(q)‖² + w_s ‖x − x_prev‖²`` within
    the limits (no smoothness term on the first frame after :meth:`reset`), with the
    block-diagonal solver of :mod:`~maniptrans_retarget.hand_frame`. The last iterate and its
    kinematic rows are kept, so the first Newton step of a frame needs no kinematics evaluation.
    """

    def __init__(self, retargeter: HandRetargeter) -> None:
        self._r = retargeter
        self._solver = retargeter.frame_solver
        self._prev: list[float] | None = None  # last output as block variables (2M) [rad]
        self._warm: tuple[list[float], np.ndarray] | None = None  # last iterate, its rows
        self.last_iterations = 0
        self.last_converged = True

    @property
    def previous(self) -> np.ndarray | None:
        """The last output (NA,) [rad], or None before the first frame (a copy)."""
        return None if self._prev is None else self._solver.to_actuators(self._prev)

    @previous.setter
    def previous(self, value: Sequence[float] | None) -> None:
        if value is None:
            self._prev = None
            return
        x = np.asarray(value, dtype=float).reshape(-1)
        na = self._r.kin.n_actuators
        if x.shape != (na,) or not np.all(np.isfinite(x)):
            raise HandRetargetError(
                f"previous: expected {na} finite actuator positions [rad], found {x}"
            )
        self._prev = self._solver.to_blocks(self._r._clip(x))

    def reset(self, previous: Sequence[float] | None = None) -> None:
        """Forget the previous output (or set it, e.g. to the hand's measured position)."""
        self._warm = None
        self.previous = previous

    def frame_cost(self, x: Sequence[float], q_sim: Sequence[float]) -> float:
        """This frame's objective at actuators ``x`` (NA,) for sim joints ``q_sim`` (NQ,).

        Evaluated with the general (batched) kinematics, independently of the solver's.
        """
        r = self._r
        y = r.targets(np.asarray(q_sim, dtype=float).reshape(1, -1))
        xb = np.asarray(x, dtype=float).reshape(1, -1)
        f = float(r._tip_value(xb, y)[0]) / r.kin.n_tips
        previous = self.previous
        if previous is not None:
            diff = xb[0] - previous
            f += r.config.smooth_weight * float(diff @ diff)
        return f

    def step(self, q_sim: Sequence[float]) -> np.ndarray:
        """Actuator positions (NA,) [rad] for one sim frame (NQ,) [rad] (the next ``previous``)."""
        r, solver, cfg = self._r, self._solver, self._r.config
        q = np.asarray(q_sim, dtype=float).reshape(-1)
        if q.shape != (solver.n_joints,) or not math.isfinite(q @ q):
            r.targets(q.reshape(1, -1))  # raises the error naming the shape or the joint
            raise HandRetargetError(
                f"sim joint positions: expected magnitudes below 1e150 rad, found {q}"
            )
        y = solver.targets(q)
        if self._prev is None:
            start, start_rows = solver.to_blocks(r.kin.initial_guess(q)), None
            prev, ws = start, 0.0
        else:
            start, start_rows = self._warm if self._warm is not None else (self._prev, None)
            prev, ws = self._prev, cfg.smooth_weight
        res = solver.solve(
            y,
            start,
            start_rows,
            prev,
            ws,
            cfg.max_iterations,
            cfg.step_tolerance,
            cfg.final_newton_step,
        )
        self.last_iterations, self.last_converged = res.iterations, res.converged
        self._warm = (res.last, res.last_rows)
        self._prev = res.blocks
        return solver.to_actuators(res.blocks)
