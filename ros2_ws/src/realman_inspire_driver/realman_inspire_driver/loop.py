"""Fixed-rate loop with absolute deadlines, its period statistics, and reconnect back-off."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from realman_inspire_driver.errors import ConfigError


class LoopStats:
    """Periods between successive ticks, kept over a window.

    Args:
        nominal: the intended period [s].
        window: number of periods kept.
    """

    def __init__(self, nominal: float, window: int = 1000) -> None:
        self.nominal = nominal
        self._periods: deque[float] = deque(maxlen=window)
        self._last: float | None = None
        self.ticks = 0
        self.overruns = 0  # ticks that started more than one period late

    def record(self, t: float) -> None:
        """A tick started at ``t`` [s]."""
        if self._last is not None:
            self._periods.append(t - self._last)
        self._last = t
        self.ticks += 1

    def summary(self) -> dict[str, float]:
        """Period mean/p50/p99/max [s] and jitter (|period − nominal|) p50/p99/max [s]."""
        if not self._periods:
            return {}
        p = np.array(self._periods)
        jitter = np.abs(p - self.nominal)
        return {
            "period_mean": float(p.mean()),
            "period_p50": float(np.percentile(p, 50)),
            "period_p99": float(np.percentile(p, 99)),
            "period_max": float(p.max()),
            "jitter_p50": float(np.percentile(jitter, 50)),
            "jitter_p99": float(np.percentile(jitter, 99)),
            "jitter_max": float(jitter.max()),
        }


class RateLoop:
    """Calls ``tick(now)`` every ``1/rate_hz`` seconds on absolute deadlines (no drift); a tick
    that overruns by more than a period drops the missed ticks rather than bursting to catch up.
    """

    def __init__(self, rate_hz: float, tick: Callable[[float], None]) -> None:
        if not rate_hz > 0:
            raise ConfigError(f"rate_hz must be > 0, got {rate_hz}")
        self.period = 1.0 / rate_hz
        self.tick = tick
        self.stats = LoopStats(self.period)

    def run(self, stop: threading.Event, max_ticks: int | None = None) -> None:
        """Run until ``stop`` is set (or ``max_ticks`` ticks have run)."""
        deadline = time.monotonic()
        while not stop.is_set() and (max_ticks is None or self.stats.ticks < max_ticks):
            now = time.monotonic()
            self.stats.record(now)
            self.tick(now)
            deadline += self.period
            late = time.monotonic() - deadline
            if late > self.period:
                self.stats.overruns += 1
                deadline = time.monotonic()
                continue
            if late < 0:
                stop.wait(-late)


@dataclass
class Backoff:
    """Exponential back-off between reconnect attempts.

    Attributes:
        initial: first delay [s].
        maximum: longest delay [s].
        factor: growth per failed attempt.
    """

    initial: float = 0.2
    maximum: float = 5.0
    factor: float = 2.0
    _delay: float = 0.0
    next_attempt: float = 0.0
    attempts: int = 0

    def due(self, now: float) -> bool:
        """An attempt may be made at ``now`` [s]."""
        return now >= self.next_attempt

    def failed(self, now: float) -> float:
        """An attempt failed at ``now``; returns the delay before the next one [s]."""
        self.attempts += 1
        self._delay = (
            self.initial if self._delay == 0 else min(self.maximum, self._delay * self.factor)
        )
        self.next_attempt = now + self._delay
        return self._delay

    def succeeded(self) -> None:
        """Connected: the next loss starts again from ``initial``."""
        self._delay = 0.0
        self.next_attempt = 0.0


class WallToMonotonic:
    """Moves wall-clock stamps [s] (ROS header stamps) onto the monotonic clock a driver runs on.

    The offset between the two clocks is read as a bracketed triple (monotonic, wall,
    monotonic) and believed only when the bracket is tight. Read apart, a thread preempted
    between the two reads (a GIL hand-over, a starved core) shifts the converted stamp by the
    whole preemption; on a loaded machine that can put a command before the one taken 33 ms
    earlier, and the gate refuses it as out of order. A wall-clock step (NTP) is followed at
    the next tight reading.

    Args:
        tight: the widest bracket [s] whose reading is believed.
        monotonic, wall: the two clocks [s], replaceable for tests.
    """

    ATTEMPTS = 3

    def __init__(
        self,
        tight: float = 1e-3,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.tight = tight
        self._monotonic, self._wall = monotonic, wall
        self._offset: float | None = None
        self.loose = 0  # readings not believed

    def offset(self) -> float:
        """wall − monotonic [s] from a tight reading; the previous one if none is tight now
        (the tightest of this attempt's readings if there is no previous one)."""
        readings: list[tuple[float, float]] = []  # (bracket width, offset)
        for _ in range(self.ATTEMPTS):
            before = self._monotonic()
            wall = self._wall()
            after = self._monotonic()
            width, offset = after - before, wall - 0.5 * (before + after)
            if width <= self.tight:
                self._offset = offset
                return offset
            self.loose += 1
            readings.append((width, offset))
        if self._offset is None:
            self._offset = min(readings)[1]
        return self._offset

    def to_monotonic(self, stamp: float) -> float:
        """The wall-clock ``stamp`` [s] on the monotonic clock [s]."""
        return stamp - self.offset()
