"""Streaming arm commands from sim wrist poses: the logic of the ``arm_ik`` node, without rclpy.

Per incoming wrist pose (sim world, stamped): reject it if non-finite, stale, from the future or
out of order; map it to a flange target through the rig calibration; solve one step-limited IK
frame warm-started from the last command; decide what to command. A target the arm cannot reach
at all (a one-off solve from the last command misses it too) is flagged with its residuals and,
by default, the arm holds its last command; ``on_unreachable = "best"`` moves it (within the
velocity limit) to the best reachable pose instead. Either way no streamed command jumps. A pose
repeated unchanged (the player re-sends the frame it waits or holds at) repeats the command: the
redundancy moves toward the comfortable posture only while the wrist moves.

The first pose of a stream (at start, or after a silence) is solved in full, seeded from where the
arm stands: that command is where the drivers' soft start (a slow planned move) takes the arm, so
the streamed motion begins at the trajectory's first frame rather than on the way to it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from maniptrans_retarget.arm_errors import ArmIkError
from maniptrans_retarget.arm_ik import ArmIk, IkResult, IkStream
from maniptrans_retarget.arm_targets import FlangeTargets, pose_to_matrix

ON_UNREACHABLE = ("hold", "best")
FIRST_SOLVE_POSTURE_STEPS = 10  # null-space posture pulls after a stream's first solve (~5 do)


class Level(IntEnum):
    """diagnostic_msgs/DiagnosticStatus levels."""

    OK = 0
    WARN = 1
    ERROR = 2


@dataclass(frozen=True)
class StreamConfig:
    """How the streamer treats its input (SI units)."""

    max_input_age: float = 0.5
    """Wrist poses stamped longer ago than this are stale and rejected [s]."""
    max_dt: float = 0.1
    """Longest time step used for the per-step velocity limit [s]: after a gap in the input the
    arm still moves at most ``max_joint_velocity · max_dt`` per command."""
    restart_after: float = 0.5
    """After this long without an accepted pose [s], the next one restarts the stream from the
    measured joint state (if any) at rest."""
    on_unreachable: str = "hold"
    """"hold" the last command, or move to the "best" reachable pose, when a target is out of
    reach."""

    def __post_init__(self) -> None:
        for name in ("max_input_age", "max_dt", "restart_after"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ArmIkError(
                    f"StreamConfig.{name}: expected a finite value > 0 s, found {value}"
                )
        if self.on_unreachable not in ON_UNREACHABLE:
            raise ArmIkError(
                f"StreamConfig.on_unreachable: expected one of {list(ON_UNREACHABLE)}, found "
                f"{self.on_unreachable!r}"
            )


@dataclass(frozen=True)
class Outcome:
    """What one wrist pose led to."""

    command: np.ndarray | None
    """Joint angles to publish [rad] (7,), or None when nothing is to be published."""
    result: IkResult | None
    """The IK solve of this frame (None when the input was rejected)."""
    reason: str
    """"ok", "tracking" (converging, step-limited), "unreachable-hold", "unreachable-best", or
    why the input was rejected ("non-finite", "stale", "future", "out-of-order", "bad-pose")."""


@dataclass
class _Window:
    """Statistics since the last diagnostics report."""

    solved: int = 0
    unreachable: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    max_position_error: float = 0.0
    max_rotation_error: float = 0.0
    solve_time_sum: float = 0.0
    solve_time_max: float = 0.0


class ArmCommandStreamer:
    """Turns a stream of wrist poses into continuous, velocity-limited arm commands (one side)."""

    def __init__(
        self,
        ik: ArmIk,
        targets: FlangeTargets,
        config: StreamConfig | None = None,
        q_start: np.ndarray | None = None,
    ) -> None:
        self.ik = ik
        self.targets = targets
        self.config = config or StreamConfig()
        self.stream = IkStream(ik, ik.posture if q_start is None else q_start)
        self.started_from = "posture" if q_start is None else "given"
        self._measured: np.ndarray | None = None
        self._last_stamp: float | None = None
        self._last_accept: float | None = None  # monotonic [s]
        self._last: IkResult | None = None
        self._last_reason = "waiting for input"
        self._last_input: tuple[np.ndarray, np.ndarray] | None = None  # position, quaternion
        self._window = _Window()
        self.total_solved = 0
        self.total_rejected = 0

    # --------------------------------------------------------------------------------------------
    def set_measured(self, q: np.ndarray) -> None:
        """Latest measured joint angles [rad] (7,), used to (re)start the stream at rest."""
        q = np.asarray(q, dtype=float)
        if q.shape == (7,) and np.isfinite(q).all():
            self._measured = q.copy()

    def on_wrist(
        self,
        position: np.ndarray,
        quat_xyzw: np.ndarray,
        stamp: float,
        now: float,
        monotonic: float | None = None,
    ) -> Outcome:
        """Process one wrist pose of the sim hand base (sim world).

        Args:
            position: (3,) [m]. quat_xyzw: (4,) orientation, x y z w.
            stamp: the message's header stamp [s] (wall clock).
            now: the current wall-clock time [s] (same clock as the stamps).
            monotonic: the current monotonic time [s] (default ``time.monotonic()``).
        """
        mono = time.monotonic() if monotonic is None else monotonic
        p = np.asarray(position, dtype=float)
        quat = np.asarray(quat_xyzw, dtype=float)
        if not (np.isfinite(p).all() and np.isfinite(quat).all() and math.isfinite(stamp)):
            return self._reject("non-finite")
        if now - stamp > self.config.max_input_age:
            return self._reject("stale")
        if stamp - now > self.config.max_input_age:
            return self._reject("future")
        if self._last_stamp is not None and stamp <= self._last_stamp:
            return self._reject("out-of-order")
        try:
            T = self.targets.from_wrist(pose_to_matrix(p, quat, f"{self.targets.side} wrist"))
        except ArmIkError:
            return self._reject("bad-pose")
        restart = self._last_accept is None or mono - self._last_accept > self.config.restart_after
        if not restart:
            dt = min(stamp - self._last_stamp, self.config.max_dt)  # type: ignore[operator]
        self._last_stamp = stamp
        self._last_accept = mono
        repeated = self._last_input is not None and all(
            np.array_equal(a, b) for a, b in zip((p, quat), self._last_input, strict=True)
        )
        self._last_input = (p.copy(), quat.copy())
        if repeated and not restart and self._last_reason == "ok" and self._last is not None:
            # the same pose again (the player re-sends the frame it waits or holds at): keep the
            # command, so the arm stands still rather than drifting along its self-motion
            self.stream.hold()  # and resume from rest
            self._account(self._last, "ok", 0.0)
            return Outcome(self.stream.q.copy(), self._last, "ok")

        t0 = time.perf_counter()
        if restart:
            self._restart()
            q_before = self.stream.q
            first = self._first_solve(T)
            # a first target out of reach is approached like any other, step by step
            res = first if first is not None else self.stream.step(T, self.config.max_dt)
        else:
            q_before = self.stream.q
            res = self.stream.step(T, dt)
        if res.converged:
            reason, command = "ok", res.q
        else:
            free = self.ik.solve(T, q_before)  # no step limit: is it reachable at all?
            if free.converged:
                reason, command = "tracking", res.q
            elif self.config.on_unreachable == "best":
                reason, command = "unreachable-best", res.q
            else:
                reason, command = "unreachable-hold", q_before
                self.stream.q = q_before
                self.stream.hold()
        elapsed = time.perf_counter() - t0
        self._account(res, reason, elapsed)
        return Outcome(command.copy(), res, reason)

    def idle_for(self, monotonic: float | None = None) -> float:
        """Seconds since the last accepted pose (inf before the first)."""
        if self._last_accept is None:
            return math.inf
        return (time.monotonic() if monotonic is None else monotonic) - self._last_accept

    # --------------------------------------------------------------------------------------------
    def report(self, monotonic: float | None = None) -> tuple[Level, str, dict[str, float | str]]:
        """Diagnostics since the previous report: level, message, key/values (then resets)."""
        w = self._window
        idle = self.idle_for(monotonic)
        level, message = Level.OK, self._last_reason
        if self._last is None:
            level, message = Level.WARN, "waiting for wrist poses"
        elif idle > self.config.restart_after:
            level, message = Level.WARN, f"no wrist pose for {idle:.1f} s"
        elif w.unreachable:
            level = Level.ERROR
            message = f"{w.unreachable} unreachable target(s) ({self.config.on_unreachable})"
        elif w.rejected:
            level = Level.WARN
            message = "rejected input: " + ", ".join(f"{k} {v}" for k, v in w.rejected.items())
        values: dict[str, float | str] = {
            "frames_solved": w.solved,
            "frames_unreachable": w.unreachable,
            "frames_rejected": sum(w.rejected.values()),
            "position_residual_max_m": w.max_position_error,
            "rotation_residual_max_deg": math.degrees(w.max_rotation_error),
            "solve_time_mean_us": 1e6 * w.solve_time_sum / w.solved if w.solved else 0.0,
            "solve_time_max_us": 1e6 * w.solve_time_max,
            "started_from": self.started_from,
            "last_outcome": self._last_reason,
        }
        if self._last is not None:
            q = self.stream.q
            values["position_residual_m"] = self._last.position_error
            values["rotation_residual_deg"] = math.degrees(self._last.rotation_error)
            values["joint_limit_margin_rad"] = float(
                np.min(np.minimum(q - self.ik.kin.lower, self.ik.kin.upper - q))
            )
        for key, count in w.rejected.items():
            values[f"rejected_{key}"] = count
        self._window = _Window()
        return level, message, values

    # --------------------------------------------------------------------------------------------
    def _restart(self) -> None:
        if self._measured is not None:
            self.stream.reset(self._measured)
            self.started_from = "measured joint state"
        else:
            self.stream.reset(self.stream.q)

    def _first_solve(self, T: np.ndarray) -> IkResult | None:
        """Full solve of a stream's first target, seeded from the stream's start (the measured
        arm, or the posture), else from the posture and random seeds; then the redundancy is
        settled where the stream's posture pull would take it (so the command does not drift
        while the drivers soft-start to it). The stream continues from there; None (stream
        untouched) when no seed converges."""
        res = self.ik.solve(T, self.stream.q)
        if not res.converged:
            res = self.ik.solve_multistart(T, np.random.default_rng(0), attempts=4)
        if not res.converged:
            return None
        self.stream.reset(res.q)
        gain = self.ik.config.posture_gain
        for _ in range(FIRST_SOLVE_POSTURE_STEPS if gain > 0 else 0):
            settled = self.stream.step(T, 1.0 / gain)  # a whole posture pull per step
            if not settled.converged:
                break
            res = settled
            if float(np.max(np.abs(settled.posture_step))) < 1e-4:
                break
        self.stream.reset(res.q)
        return res

    def _reject(self, why: str) -> Outcome:
        self._window.rejected[why] = self._window.rejected.get(why, 0) + 1
        self.total_rejected += 1
        return Outcome(None, None, why)

    def _account(self, res: IkResult, reason: str, elapsed: float) -> None:
        w = self._window
        w.solved += 1
        self.total_solved += 1
        if reason.startswith("unreachable"):
            w.unreachable += 1
        w.max_position_error = max(w.max_position_error, res.position_error)
        w.max_rotation_error = max(w.max_rotation_error, res.rotation_error)
        w.solve_time_sum += elapsed
        w.solve_time_max = max(w.solve_time_max, elapsed)
        self._last = res
        self._last_reason = reason
