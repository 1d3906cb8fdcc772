"""The safety gate between incoming commands and a device: the one place that decides what may be
sent, shared by the arm and the hand drivers.

Incoming commands are checked (shape, finiteness, position limits, jumps) and time-stamped into an
interpolator; every control period ``step`` turns them into one action for the device:

- ``move_to``: soft start of the arm, a slow planned move (``movej``) from wherever it stands to
  the first command; streaming starts once the device reports the move finished and the measured
  pose has arrived (a controller ignores passthrough set-points while a planned move runs).
- ``stream``: a set-point, rate-limited so no joint moves faster than the velocity cap nor further
  than ``max_step`` in one period (the RM75 ignores passthrough steps over 10° or 180°/s; the
  defaults stay far inside). The limit applies to the time actually elapsed since the previous
  period: a loop that runs late (a loaded computer, a slow serial reply) may catch up on up to
  ``max_catchup_periods`` periods in one step, so the set-point keeps the cap's speed instead of
  falling behind the commands, and one step still stays bounded. The hand's soft start is
  such a stream, ramped slowly from its measured pose.
- ``hold``: keep the last set-point (the watchdog fired: no fresh command for N periods).
- ``idle``: send nothing (disconnected, latched stop, device fault, waiting for commands).

Losing the device, a stop, an e-stop or a device fault all require the soft start again before
streaming resumes. Every rejected command and every intervention is counted.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass

import numpy as np

from realman_inspire_driver.errors import ConfigError
from realman_inspire_driver.safety.interpolation import CommandInterpolator
from realman_inspire_driver.safety.limits import JointLimits

SOFT_START_MODES = ("planned", "ramp")


@dataclass(frozen=True)
class SafetyConfig:
    """Safety parameters of one device. Angles [rad], times [s].

    Attributes:
        period: control period [s] (1 / loop rate).
        position_margin: kept clear of each position limit; commands inside the limits but in
            the margin are clamped to it.
        out_of_range_tolerance: commands at most this far beyond a limit are clamped too;
            further out they are rejected (a sign of a broken upstream, not of rounding).
        max_velocity: cap on the streamed set-point speed of every joint [rad/s].
        velocity_scale: fraction of each joint's own velocity limit allowed (the lower of the two
            caps applies).
        max_step: cap on the set-point change of any joint in one period [rad].
        max_catchup_periods: a control period that starts late may move the set-point by the
            elapsed time's worth of steps, at most this many periods' worth (1: never more than
            one period's step, whatever the delay).
        max_command_jump: a command further than this from the previous accepted one, while
            streaming, is rejected [rad].
        watchdog_periods: periods without a fresh command before the gate holds.
        soft_start: ``planned`` (the device plans a slow move, the arm's ``movej``) or ``ramp``
            (the gate ramps the set-point at ``soft_start_velocity``, the hand).
        soft_start_velocity: ramp speed [rad/s].
        soft_start_tolerance: the soft start is done when every joint is this close [rad].
        soft_start_timeout: a planned soft start not arrived after this long is abandoned [s].
        interpolation_delay: commands are sampled this far in the past [s].
        max_stamp_skew: command stamps further than this from the arrival time are replaced by
            the arrival time [s].
        max_tracking_error: while streaming, a measured position further than this from the
            set-point is a device fault [rad] (None: not checked).
    """

    period: float = 0.01
    position_margin: float = 0.035
    out_of_range_tolerance: float = 0.05
    max_velocity: float = 1.5
    velocity_scale: float = 0.5
    max_step: float = 0.035
    max_catchup_periods: float = 3.0
    max_command_jump: float = 0.35
    watchdog_periods: int = 10
    soft_start: str = "planned"
    soft_start_velocity: float = 0.3
    soft_start_tolerance: float = 0.02
    soft_start_timeout: float = 30.0
    interpolation_delay: float = 0.035
    max_stamp_skew: float = 0.5
    max_tracking_error: float | None = 0.3

    def __post_init__(self) -> None:
        positive = (
            "period",
            "max_velocity",
            "velocity_scale",
            "max_step",
            "max_command_jump",
            "soft_start_velocity",
            "soft_start_tolerance",
            "soft_start_timeout",
            "max_stamp_skew",
        )
        for key in positive:
            value = getattr(self, key)
            if not (isinstance(value, int | float) and np.isfinite(value) and value > 0):
                raise ConfigError(f"safety.{key} must be a finite number > 0, got {value!r}")
        for key in ("position_margin", "out_of_range_tolerance", "interpolation_delay"):
            value = getattr(self, key)
            if not (np.isfinite(value) and value >= 0):
                raise ConfigError(f"safety.{key} must be a finite number >= 0, got {value!r}")
        if not (np.isfinite(self.max_catchup_periods) and self.max_catchup_periods >= 1):
            raise ConfigError(
                f"safety.max_catchup_periods must be a finite number >= 1, got "
                f"{self.max_catchup_periods!r}"
            )
        if self.watchdog_periods < 1:
            raise ConfigError(f"safety.watchdog_periods must be >= 1, got {self.watchdog_periods}")
        if self.soft_start not in SOFT_START_MODES:
            raise ConfigError(
                f"safety.soft_start must be one of {SOFT_START_MODES}, got {self.soft_start!r}"
            )
        if self.max_tracking_error is not None and not self.max_tracking_error > 0:
            raise ConfigError(
                f"safety.max_tracking_error must be > 0 or None, got {self.max_tracking_error}"
            )


class Mode(enum.Enum):
    """What the gate is doing."""

    DISCONNECTED = "disconnected"
    WAITING = "waiting"  # connected; soft start pending until a fresh command arrives
    SOFT_START = "soft_start"
    STREAMING = "streaming"
    HOLD = "hold"  # watchdog: no fresh command
    FAULT = "fault"  # the device reported an error; cleared explicitly
    LATCHED = "latched"  # stop or e-stop; cleared explicitly


@dataclass(frozen=True)
class Action:
    """What to send the device this period: ``kind`` in idle | move_to | stream | hold, and the
    joint positions [rad] for the last three."""

    kind: str
    q: np.ndarray | None = None


IDLE = Action("idle")


def step_toward(current: np.ndarray, target: np.ndarray, max_step: np.ndarray) -> np.ndarray:
    """Move from ``current`` toward ``target`` by at most ``max_step`` per joint, scaling the
    whole step so every joint arrives together (a straight line in joint space)."""
    delta = target - current
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(np.abs(delta) > 0, max_step / np.abs(delta), np.inf)
    scale = min(1.0, float(np.min(ratios)))
    return current + scale * delta


class SafetyGate:
    """Gate for one device with joint ``limits`` under ``config``. Not thread-safe: the driver
    loop calls ``step``; commands and service requests must reach it through that loop or a lock.
    """

    def __init__(self, limits: JointLimits, config: SafetyConfig) -> None:
        self.limits = limits
        self.config = config
        lower, upper, velocity = limits.arrays()
        margin = np.minimum(config.position_margin, 0.25 * (upper - lower))
        self._hard = (lower, upper)
        self._safe = (lower + margin, upper - margin)
        speed = np.minimum(config.max_velocity, config.velocity_scale * velocity)
        self._max_step = np.minimum(speed * config.period, config.max_step)
        self._ramp_step = np.minimum(config.soft_start_velocity * config.period, self._max_step)
        self._interp = CommandInterpolator()
        self._mode = Mode.DISCONNECTED
        self._latches: set[str] = set()
        self._fault: str | None = None
        self._last_receipt: float | None = None
        self._last_command: np.ndarray | None = None
        self._last_stamp: float | None = None  # the sender's stamp of the newest command
        self._output: np.ndarray | None = None
        self._soft_target: np.ndarray | None = None
        self._soft_since = 0.0
        self._last_step: float | None = None  # when ``step`` last ran
        self._elapsed_periods = 1.0  # periods since the previous step, within [1, catch-up]
        self.measured: np.ndarray | None = None
        self.rejections: Counter[str] = Counter()
        self.events: Counter[str] = Counter()
        self.accepted = 0

    # state --------------------------------------------------------------------------------

    @property
    def mode(self) -> Mode:
        """The current mode (a latch or a fault overrides the motion mode)."""
        if self._latches:
            return Mode.LATCHED
        if self._fault is not None:
            return Mode.FAULT
        return self._mode

    @property
    def ready(self) -> bool:
        """Soft start done and streaming allowed (streaming, or holding for commands)."""
        return self.mode in (Mode.STREAMING, Mode.HOLD)

    @property
    def latches(self) -> tuple[str, ...]:
        """Active latch reasons (``estop``, ``stop``)."""
        return tuple(sorted(self._latches))

    @property
    def fault(self) -> str | None:
        """The device fault that stopped streaming, if any."""
        return self._fault

    @property
    def soft_start_target(self) -> np.ndarray | None:
        """Where the soft start is heading [rad] (None when not soft-starting)."""
        return None if self._soft_target is None else self._soft_target.copy()

    @property
    def output(self) -> np.ndarray | None:
        """The last set-point sent or held [rad]."""
        return None if self._output is None else self._output.copy()

    def _require_soft_start(self) -> None:
        """Back to WAITING (if connected), forgetting every command received so far: streaming
        restarts only from commands that arrive after this point."""
        if self._mode != Mode.DISCONNECTED:
            self._mode = Mode.WAITING
        self._soft_target = None
        self._interp.clear()
        self._last_receipt = None
        self._last_command = None
        self._last_stamp = None

    # events from the driver ---------------------------------------------------------------

    def on_connected(self, measured: np.ndarray) -> None:
        """The device is (re)connected and stands at ``measured`` [rad]: soft start required."""
        self.measured = np.array(measured, dtype=float)
        self._output = self.measured.copy()
        self._mode = Mode.WAITING
        self._require_soft_start()
        self.events["connected"] += 1

    def on_disconnected(self) -> None:
        """The device is lost: nothing is sent until it is back and soft-started again."""
        if self._mode != Mode.DISCONNECTED:
            self.events["disconnected"] += 1
        self._mode = Mode.DISCONNECTED
        self._require_soft_start()

    def latch(self, reason: str) -> None:
        """Stop streaming until ``clear_latch(reason)`` (``estop``: every driver; ``stop``)."""
        if reason not in self._latches:
            self.events[f"latch_{reason}"] += 1
        self._latches.add(reason)
        self._require_soft_start()

    def clear_latch(self, reason: str) -> None:
        """Release one latch; streaming needs a soft start again."""
        self._latches.discard(reason)
        self._require_soft_start()

    def set_fault(self, description: str) -> None:
        """The device reports an error: stop streaming until ``clear_fault``."""
        if self._fault is None:
            self.events["fault"] += 1
        self._fault = description
        self._require_soft_start()

    def clear_fault(self) -> None:
        """The device error was cleared; streaming needs a soft start again."""
        self._fault = None
        self._require_soft_start()

    def retry_soft_start(self, reason: str) -> None:
        """The device refused the soft-start move (e.g. it still considers itself streaming):
        back to WAITING to try again, keeping the commands received so far."""
        if self._mode == Mode.SOFT_START:
            self._mode = Mode.WAITING
            self._soft_target = None
        self.events[reason] += 1

    # commands -----------------------------------------------------------------------------

    def _reject(self, reason: str) -> bool:
        self.rejections[reason] += 1
        return False

    def submit(self, now: float, q: np.ndarray, stamp: float | None = None) -> bool:
        """Offer one command ``q`` [rad] received at ``now`` [s], stamped ``stamp`` [s] (same
        clock; None = ``now``). Returns whether it was accepted; rejections are counted by
        reason (shape, non_finite, out_of_range, jump, out_of_order, latched, fault,
        not_connected: the device not reached yet, disconnected: lost)."""
        q = np.asarray(q, dtype=float)
        if q.shape != (self.limits.n,):
            return self._reject("shape")
        if not np.all(np.isfinite(q)):
            return self._reject("non_finite")
        mode = self.mode
        if mode == Mode.LATCHED:
            return self._reject("latched")
        if mode == Mode.FAULT:
            return self._reject("fault")
        if mode == Mode.DISCONNECTED:
            # before the device was first reached (a driver still connecting refuses the
            # commands that prime it) or after it was lost
            return self._reject("disconnected" if self.events["connected"] else "not_connected")
        lower, upper = self._hard
        tol = self.config.out_of_range_tolerance
        if np.any(q < lower - tol) or np.any(q > upper + tol):
            return self._reject("out_of_range")
        clamped = np.clip(q, *self._safe)
        if np.any(clamped != q):
            self.events["clamped"] += 1
        if (
            mode == Mode.STREAMING
            and self._last_command is not None
            and np.max(np.abs(clamped - self._last_command)) > self.config.max_command_jump
        ):
            return self._reject("jump")
        sent = now if stamp is None else stamp
        if self._last_stamp is not None and sent < self._last_stamp:
            return self._reject("out_of_order")  # older than a command already taken
        t = sent
        if abs(t - now) > self.config.max_stamp_skew:
            self.events["restamped"] += 1
            t = now
        # a command restamped to its (late) arrival moves the time line ahead of the sender's
        # stamps for a moment; the next ones, in order by their own stamps, join it there
        # instead of being taken for out-of-order commands
        newest = self._interp.newest_time
        t = t if newest is None else max(t, newest)
        self._interp.push(t, clamped)
        self._last_stamp = sent
        self._last_receipt = now
        self._last_command = clamped
        self.accepted += 1
        return True

    # control period -----------------------------------------------------------------------

    def _fresh(self, now: float) -> bool:
        if self._last_receipt is None:
            return False
        return now - self._last_receipt <= self.config.watchdog_periods * self.config.period

    def _target(self, now: float) -> np.ndarray:
        q = self._interp.sample(now - self.config.interpolation_delay)
        assert q is not None  # a fresh command exists
        return q

    def step(
        self, now: float, measured: np.ndarray | None = None, move_finished: bool = True
    ) -> Action:
        """One control period at ``now`` [s] with the device at ``measured`` [rad] (None: not
        read this period). ``move_finished``: the device reports no planned move running (the
        planned soft start is done only then). Returns what to send."""
        if measured is not None:
            self.measured = np.array(measured, dtype=float)
        elapsed = 1.0 if self._last_step is None else (now - self._last_step) / self.config.period
        self._elapsed_periods = float(np.clip(elapsed, 1.0, self.config.max_catchup_periods))
        if elapsed > 1.5:
            self.events["late_period"] += 1
        self._last_step = now
        mode = self.mode
        if mode in (Mode.LATCHED, Mode.FAULT, Mode.DISCONNECTED):
            return IDLE
        fresh = self._fresh(now)
        if mode == Mode.WAITING:
            if not fresh or self.measured is None:
                return IDLE
            return self._begin_soft_start(now)
        if mode == Mode.SOFT_START:
            return self._soft_start_step(now, fresh, move_finished)
        assert self._output is not None
        if mode == Mode.STREAMING:
            if self._tracking_lost():
                return IDLE
            if not fresh:
                self._mode = Mode.HOLD
                self.events["watchdog"] += 1
                return Action("hold", self._output.copy())
            return self._stream(now)
        # HOLD
        if not fresh:
            return Action("hold", self._output.copy())
        target = self._target(now)
        if np.max(np.abs(target - self._output)) > self.config.max_command_jump:
            self.events["resume_needs_soft_start"] += 1
            self._require_soft_start()
            return Action("hold", self._output.copy())
        self._mode = Mode.STREAMING
        self.events["resumed"] += 1
        return self._stream(now)

    def _begin_soft_start(self, now: float) -> Action:
        assert self.measured is not None
        self._mode = Mode.SOFT_START
        self._soft_target = self._target(now)
        self._soft_since = now
        self.events["soft_start"] += 1
        if self.config.soft_start == "planned":
            return Action("move_to", self._soft_target.copy())
        self._output = self.measured.copy()
        return self._soft_start_step(now, True)

    def _soft_start_step(self, now: float, fresh: bool, move_finished: bool = True) -> Action:
        assert self._soft_target is not None and self.measured is not None
        tol = self.config.soft_start_tolerance
        if self.config.soft_start == "planned":
            arrived = np.max(np.abs(self.measured - self._soft_target)) <= tol
            if arrived and move_finished:
                if fresh and (
                    np.max(np.abs(self._target(now) - self.measured))
                    > self.config.max_command_jump
                ):
                    self.events["soft_start_repeat"] += 1  # the commands moved on meanwhile
                    return self._begin_soft_start(now)
                self._mode = Mode.STREAMING
                self._output = self.measured.copy()
                self.events["soft_start_done"] += 1
                return Action("hold", self._output.copy())
            if now - self._soft_since > self.config.soft_start_timeout:
                self.events["soft_start_timeout"] += 1
                self.set_fault(
                    f"soft start did not arrive within {self.config.soft_start_timeout:.1f} s "
                    f"(still {np.max(np.abs(self.measured - self._soft_target)):.3f} rad away)"
                )
            return IDLE
        if fresh:
            self._soft_target = self._target(now)
        assert self._output is not None
        self._output = step_toward(self._output, self._soft_target, self._ramp_step)
        if np.max(np.abs(self._output - self._soft_target)) <= tol:
            self._mode = Mode.STREAMING
            self.events["soft_start_done"] += 1
        return Action("stream", self._output.copy())

    def _stream(self, now: float) -> Action:
        assert self._output is not None
        target = self._target(now)
        new = step_toward(self._output, target, self._max_step * self._elapsed_periods)
        if np.any(new != target):
            self.events["rate_limited"] += 1
        self._output = new
        return Action("stream", new.copy())

    def _tracking_lost(self) -> bool:
        limit = self.config.max_tracking_error
        if limit is None or self.measured is None or self._output is None:
            return False
        error = float(np.max(np.abs(self.measured - self._output)))
        if error <= limit:
            return False
        self.set_fault(f"tracking error {error:.3f} rad exceeds {limit:.3f} rad")
        return True

    def report(self) -> dict[str, object]:
        """Counters and state for diagnostics."""
        return {
            "mode": self.mode.value,
            "ready": self.ready,
            "latches": self.latches,
            "fault": self._fault or "",
            "accepted": self.accepted,
            "rejected": sum(self.rejections.values()),
            "rejections": dict(self.rejections),
            "events": dict(self.events),
        }
