"""Damped least-squares IK for one 7-DoF arm: flange pose in the arm base frame -> 7 joint angles.

Each iteration solves, over the joint step ``dq`` (7,) [rad],

    min ||W (J dq - e)||² + λ² ||dq||²    subject to    lo <= q + dq <= hi

where ``e`` (6,) is the flange error (position [m], rotation vector [rad], both in the base frame),
``J`` (6, 7) the flange Jacobian in the same coordinates, ``W`` weighs rotation against position
[m/rad] and the box ``[lo, hi]`` is the joint range intersected, while streaming, with the
per-step velocity limit around the previous command. The box is enforced inside each iteration by
an active set (joints that would leave it are held at their bound and the task is re-solved with
the others), never by clipping afterwards. While streaming, the first iteration also moves toward
a comfortable posture in the task's null space, only as far as the box leaves room.

λ² = damping² + error_damping · ||W e||²: heavy damping far from the target or at a singularity,
vanishing damping (Gauss-Newton, quadratic convergence) close to it. The iterations run in a
compiled kernel (``arm_ik_kernel``) on the chain taken from the Pinocchio model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from maniptrans_retarget import arm_ik_kernel as _k
from maniptrans_retarget.arm_errors import ArmIkError
from maniptrans_retarget.arm_kinematics import N_ARM_JOINTS, ArmKinematics

COMFORTABLE_POSTURE = (0.0, 0.6, 0.0, 1.4, 0.0, 0.8, 0.0)
"""An RM75 posture with the elbow bent, the flange ahead of the base pointing down and forward
[rad]: the default of the ``arm_ik`` node and the reach check (a preference, not a fact)."""


@dataclass(frozen=True)
class IkConfig:
    """Solver settings (SI units)."""

    position_tolerance: float = 1e-4
    """Converged when the flange position error is below this [m]."""
    rotation_tolerance: float = math.radians(0.1)
    """... and the flange rotation error is below this [rad]."""
    max_iterations: int = 60
    """Iterations per solve before giving up and returning the best pose found."""
    damping: float = 1e-3
    """Floor λ0 of the damping [m]; keeps steps bounded at singularities."""
    error_damping: float = 0.05
    """Adds ``error_damping · ||W e||²`` to λ² [-]: large errors take cautious steps."""
    rotation_weight: float = 0.25
    """W for the rotation rows [m/rad]: how many metres of position one radian is worth."""
    posture: tuple[float, ...] | None = COMFORTABLE_POSTURE
    """Comfortable posture [rad], shape (7,); None = the middle of each joint's range."""
    posture_gain: float = 0.5
    """Rate of the pull toward the posture in the task's null space [1/s]: while streaming, each
    solve removes ``min(1, posture_gain · dt)`` of the posture error where the task leaves room
    (never at the task's expense). One-off solves (no ``dt``) stay closest to their seed."""
    max_iteration_step: float = 0.4
    """Largest joint change of one iteration [rad] (the step is scaled down as a whole)."""
    max_joint_velocity: tuple[float, ...] | None = None
    """Per-joint velocity limit for consecutive solutions [rad/s]; None = the model's limits
    times ``velocity_scale``."""
    velocity_scale: float = 0.5
    """Fraction of the model's velocity limits used when ``max_joint_velocity`` is None [-]."""

    def __post_init__(self) -> None:
        positive = {
            "position_tolerance": self.position_tolerance,
            "rotation_tolerance": self.rotation_tolerance,
            "rotation_weight": self.rotation_weight,
            "max_iteration_step": self.max_iteration_step,
            "velocity_scale": self.velocity_scale,
        }
        for name, value in positive.items():
            if not (math.isfinite(value) and value > 0):
                raise ArmIkError(f"IkConfig.{name}: expected a finite value > 0, found {value}")
        for name, value in {
            "damping": self.damping,
            "error_damping": self.error_damping,
            "posture_gain": self.posture_gain,
        }.items():
            if not (math.isfinite(value) and value >= 0):
                raise ArmIkError(f"IkConfig.{name}: expected a finite value >= 0, found {value}")
        if self.max_iterations < 1:
            raise ArmIkError(
                f"IkConfig.max_iterations: expected >= 1, found {self.max_iterations}"
            )
        for name, vec in (
            ("posture", self.posture),
            ("max_joint_velocity", self.max_joint_velocity),
        ):
            if vec is not None and (
                len(vec) != N_ARM_JOINTS or not all(math.isfinite(v) for v in vec)
            ):
                raise ArmIkError(
                    f"IkConfig.{name}: expected {N_ARM_JOINTS} finite values, found {list(vec)}"
                )
        if self.max_joint_velocity is not None and min(self.max_joint_velocity) <= 0:
            raise ArmIkError(
                f"IkConfig.max_joint_velocity: expected > 0 rad/s, found {self.max_joint_velocity}"
            )


class IkResult(NamedTuple):
    """One solve. ``q`` is always inside the joint limits and the step box, reached or not."""

    q: np.ndarray
    """Joint angles [rad], shape (7,)."""
    converged: bool
    """Both errors below the configured tolerances."""
    position_error: float
    """Distance between the reached and the target flange origin [m]."""
    rotation_error: float
    """Angle of the rotation between the reached and the target flange frame [rad]."""
    iterations: int
    """Jacobian evaluations used (0 when the seed already met the tolerances)."""
    posture_step: np.ndarray
    """The part of the motion from the seed that is the null-space pull toward the posture
    [rad], shape (7,) (zero for one-off solves)."""


@dataclass(frozen=True)
class TrajectoryResult:
    """A warm-started solve of a whole target sequence (T frames)."""

    q: np.ndarray
    """Joint angles [rad], shape (T, 7)."""
    position_error: np.ndarray
    """[m], shape (T,)."""
    rotation_error: np.ndarray
    """[rad], shape (T,)."""
    converged: np.ndarray
    """bool, shape (T,)."""
    iterations: np.ndarray = field(repr=False)
    """int, shape (T,)."""

    @property
    def unreachable_frames(self) -> np.ndarray:
        """Indices of the frames whose target was not reached within tolerance."""
        return np.flatnonzero(~self.converged)


class ArmIk:
    """The solver for one arm. Not thread-safe (it owns a Pinocchio Data)."""

    def __init__(self, kinematics: ArmKinematics, config: IkConfig | None = None) -> None:
        self.kin = kinematics
        self.config = config or IkConfig()
        cfg = self.config
        kin = kinematics
        if cfg.posture is None:
            self.posture = 0.5 * (kin.lower + kin.upper)
        else:
            self.posture = np.array(cfg.posture, dtype=float)
            outside = (self.posture < kin.lower) | (self.posture > kin.upper)
            if outside.any():
                raise ArmIkError(
                    f"IkConfig.posture: expected inside the joint limits [{kin.lower.tolist()}, "
                    f"{kin.upper.tolist()}], found {self.posture.tolist()} "
                    f"(joints {np.flatnonzero(outside).tolist()} outside)"
                )
        if cfg.max_joint_velocity is None:
            self.max_velocity = kin.velocity * cfg.velocity_scale
        else:
            self.max_velocity = np.array(cfg.max_joint_velocity, dtype=float)
        self._placements, self._axes, self._flange = kinematics.chain()
        self._bounds = np.ascontiguousarray([kin.lower, kin.upper, self.max_velocity])  # (3, 7)
        params = np.empty(_k.N_PARAMS)
        params[_k.P_POSTURE_GAIN] = cfg.posture_gain
        params[_k.P_ROTATION_WEIGHT] = cfg.rotation_weight
        params[_k.P_TOL_P] = cfg.position_tolerance
        params[_k.P_TOL_R] = cfg.rotation_tolerance
        params[_k.P_MAX_IT] = cfg.max_iterations
        params[_k.P_LAM0_SQ] = cfg.damping**2
        params[_k.P_LAM_E] = cfg.error_damping
        params[_k.P_STEP_MAX] = cfg.max_iteration_step
        self._params = params
        # Compile (or load from the on-disk cache) the kernel now, not in the first control period.
        self.solve(kinematics.flange_pose(self.posture), self.posture, dt=1e-3)

    # --------------------------------------------------------------------------------------------
    def step_box(
        self, q_prev: np.ndarray | None, dt: float | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Feasible box [rad] of a solve: the joint range, intersected with ``q_prev ± v_max dt``
        when both are given (``dt`` in [s]). For reporting; ``solve`` computes it itself."""
        lo, hi = self.kin.lower, self.kin.upper
        if q_prev is None or dt is None:
            return lo.copy(), hi.copy()
        reach = self.max_velocity * dt
        q_in = np.clip(q_prev, lo, hi)
        return np.minimum(np.maximum(lo, q_prev - reach), q_in), np.maximum(
            np.minimum(hi, q_prev + reach), q_in
        )

    def solve(
        self,
        T_base_flange: np.ndarray,
        q_seed: np.ndarray,
        *,
        q_prev: np.ndarray | None = None,
        dt: float | None = None,
    ) -> IkResult:
        """Joint angles putting the flange at ``T_base_flange`` (4x4, [m]), starting at ``q_seed``.

        Args:
            T_base_flange: target flange pose in the arm base frame, 4x4 homogeneous.
            q_seed: initial guess [rad], shape (7,) (the previous solution when streaming, or
                its extrapolation: with ``dt``, only the part of ``q_seed - q_prev`` that moves
                the flange is kept, so no self-motion is carried over).
            q_prev: the previous command [rad]; with ``dt`` it bounds this solution to
                ``q_prev ± max_joint_velocity · dt``. Defaults to ``q_seed``.
            dt: time since the previous command [s]; None = a one-off solve: no per-step limit
                (joint range only) and no posture pull.

        Returns:
            The best pose found inside the joint limits (and step box), with its residuals. A
            target out of reach is not an exception: ``converged`` is False and the residuals say
            how far off the returned pose is; the caller decides.

        Raises:
            ArmIkError: non-finite or mis-shaped target, seed, previous command or time step.
        """
        q0 = np.ascontiguousarray(q_seed, dtype=float)
        qp = q0 if q_prev is None else np.ascontiguousarray(q_prev, dtype=float)
        return self._solve(T_base_flange, q0, qp, dt, np.zeros(N_ARM_JOINTS))

    def _solve(
        self,
        T_base_flange: np.ndarray,
        q0: np.ndarray,
        qp: np.ndarray,
        dt: float | None,
        velocity: np.ndarray,
    ) -> IkResult:
        """``solve`` with a seed velocity [rad/s] (7,) that the kernel extrapolates the seed by
        and overwrites with this solve's task velocity (see ``arm_ik_kernel.solve_kernel``)."""
        T = np.ascontiguousarray(T_base_flange, dtype=float)
        if T.shape != (4, 4) or q0.shape != (N_ARM_JOINTS,) or qp.shape != (N_ARM_JOINTS,):
            raise ArmIkError(
                f"solve: expected a 4x4 target and {N_ARM_JOINTS}-vectors q_seed/q_prev, found "
                f"shapes {T.shape}, {q0.shape}, {qp.shape}"
            )
        if dt is None:
            dt_k = 0.0
        elif dt > 0.0:  # also False for NaN
            dt_k = float(dt)
        else:
            raise ArmIkError(f"dt: expected a finite time step > 0 s or None, found {dt}")
        q_out = np.empty(N_ARM_JOINTS)
        null_out = np.zeros(N_ARM_JOINTS)
        status, pos_err, rot_err, iterations = _k.solve_kernel(
            self._placements,
            self._axes,
            self._flange,
            T,
            q0,
            qp,
            dt_k,
            self._bounds,
            self.posture,
            self._params,
            q_out,
            null_out,
            velocity,
        )
        if status != _k.STATUS_OK:
            what = "target" if status == _k.STATUS_BAD_TARGET else "q_seed/q_prev/dt"
            raise ArmIkError(
                f"solve: expected finite values in {what}, found target {T.tolist()}, "
                f"q_seed {q0.tolist()}, q_prev {qp.tolist()}, dt {dt}"
            )
        cfg = self.config
        converged = pos_err < cfg.position_tolerance and rot_err < cfg.rotation_tolerance
        return IkResult(q_out, converged, pos_err, rot_err, iterations, null_out)

    def solve_multistart(
        self, T_base_flange: np.ndarray, rng: np.random.Generator, attempts: int = 8
    ) -> IkResult:
        """One-off solve without a seed: the posture first, then random seeds inside the limits,
        until one converges; else the attempt with the smallest residual."""
        best: IkResult | None = None
        for k in range(max(1, attempts)):
            seed = self.posture if k == 0 else self.kin.random_configuration(rng)
            res = self.solve(T_base_flange, seed)
            if res.converged:
                return res
            if best is None or _cost(res, self.config) < _cost(best, self.config):
                best = res
        assert best is not None
        return best

    def solve_trajectory(
        self,
        T_base_flange: np.ndarray,
        q_start: np.ndarray,
        dt: float | None,
    ) -> TrajectoryResult:
        """Solve a target sequence as the streaming node would (``IkStream``), frame by frame.

        Args:
            T_base_flange: targets, shape (T, 4, 4) [m].
            q_start: configuration before the first frame [rad], shape (7,) (e.g. the arm's
                current joint state); the first frame is step-limited from it too.
            dt: frame period [s] for the per-step velocity limit; None = unlimited.

        Returns:
            Per-frame solutions and residuals; ``unreachable_frames`` lists the frames whose
            target was not reached (out of reach, or not reachable in time from the frame before).
        """
        Ts = np.ascontiguousarray(T_base_flange, dtype=float)
        if Ts.ndim != 3 or Ts.shape[1:] != (4, 4):
            raise ArmIkError(f"targets: expected shape (T, 4, 4), found {Ts.shape}")
        n = Ts.shape[0]
        qs = np.empty((n, N_ARM_JOINTS))
        pos = np.empty(n)
        rot = np.empty(n)
        ok = np.empty(n, dtype=bool)
        its = np.empty(n, dtype=int)
        stream = IkStream(self, q_start)
        for k in range(n):
            res = stream.step(Ts[k], dt)
            qs[k] = res.q
            ok[k], pos[k], rot[k], its[k] = (
                res.converged,
                res.position_error,
                res.rotation_error,
                res.iterations,
            )
        return TrajectoryResult(qs, pos, rot, ok, its)


class IkStream:
    """Streaming IK: one solve per incoming target, continuous by construction.

    Each solve is seeded with the previous command extrapolated at its last velocity (so a target
    path through a singularity, e.g. the stretched elbow, is followed to the other side instead of
    bouncing back onto the other IK branch) and bounded to ``q_prev ± max_joint_velocity · dt``.

    Attributes:
        q: the last command [rad], shape (7,).
    """

    def __init__(self, ik: ArmIk, q_start: Sequence[float] | np.ndarray) -> None:
        self.ik = ik
        self.reset(q_start)

    def reset(self, q: Sequence[float] | np.ndarray) -> None:
        """Restart from configuration ``q`` [rad] at rest (e.g. the measured joint state)."""
        q = as_joint_vector(q, "q_start")
        self.q = np.clip(q, self.ik.kin.lower, self.ik.kin.upper)
        self._velocity = np.zeros(N_ARM_JOINTS)  # [rad/s]

    def hold(self) -> None:
        """Keep the last command and forget its velocity (after the caller refused a result)."""
        self._velocity[:] = 0.0

    def step(self, T_base_flange: np.ndarray, dt: float | None) -> IkResult:
        """Solve for the next target, ``dt`` [s] after the last command (None: no step limit)."""
        q = self.q
        if dt is None:
            self._velocity[:] = 0.0
        # the kernel extrapolates the seed by the velocity and updates it (task motion only:
        # extrapolating the posture pull too would build up self-motion frame after frame)
        res = self.ik._solve(T_base_flange, q, q, dt, self._velocity)
        self.q = res.q
        return res


def _cost(res: IkResult, cfg: IkConfig) -> float:
    return (
        res.position_error / cfg.position_tolerance + res.rotation_error / cfg.rotation_tolerance
    )


def as_joint_vector(values: Sequence[float] | np.ndarray, what: str) -> np.ndarray:
    """Validate a 7-vector of joint values; raises ArmIkError naming ``what`` otherwise."""
    arr = np.asarray(values, dtype=float).reshape(-1)
    if arr.shape != (N_ARM_JOINTS,) or not np.all(np.isfinite(arr)):
        raise ArmIkError(f"{what}: expected {N_ARM_JOINTS} finite values, found {list(values)}")
    return arr
