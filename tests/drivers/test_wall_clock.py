"""Command stamps (wall clock) moved onto the drivers' monotonic clock: a thread preempted while
reading the two clocks must not reorder commands (a loaded CI machine had one refused as out of
order)."""

from __future__ import annotations

import numpy as np
import pytest

from realman_inspire_driver.loop import WallToMonotonic
from realman_inspire_driver.safety.gate import SafetyConfig, SafetyGate
from realman_inspire_driver.safety.limits import hand_limits

WALL_AHEAD = 1.7e9  # wall clock − monotonic clock [s]


def approx(value: float):
    return pytest.approx(value, abs=1e-5)


class Clocks:
    """A monotonic and a wall clock advancing 1 µs per read. After a monotonic read the thread
    may lose time before its next read: once (``stall``) or after every read (``stall_each``);
    ``step`` moves the wall clock alone (an NTP step)."""

    def __init__(self) -> None:
        self.t = 100.0
        self.step = 0.0
        self.stall_each = 0.0
        self._stall = 0.0

    def stall(self, seconds: float) -> None:
        self._stall = seconds

    def monotonic(self) -> float:
        value = self.t
        self.t += 1e-6 + self._stall + self.stall_each
        self._stall = 0.0
        return value

    def wall(self) -> float:
        value = self.t + WALL_AHEAD + self.step
        self.t += 1e-6
        return value

    def converter(self) -> WallToMonotonic:
        return WallToMonotonic(monotonic=self.monotonic, wall=self.wall)


def test_a_preempted_clock_reading_does_not_shift_the_stamp():
    clocks = Clocks()
    conv = clocks.converter()
    stamp = clocks.t + WALL_AHEAD
    assert conv.to_monotonic(stamp) == approx(stamp - WALL_AHEAD)
    clocks.stall(0.05)
    assert conv.to_monotonic(stamp) == approx(stamp - WALL_AHEAD)
    assert conv.loose == 1  # the stalled reading was not believed


def test_commands_33_ms_apart_stay_in_order_through_a_50_ms_preemption():
    """The CI failure through the gate: with the two clocks read apart, the second command
    lands before the first and is refused as out of order; converted here, both are taken."""
    clocks = Clocks()
    conv = clocks.converter()
    limits = hand_limits("right")
    gate = SafetyGate(limits, SafetyConfig())
    q = 0.5 * (np.asarray(limits.lower) + np.asarray(limits.upper))
    gate.on_connected(q)
    naive, converted = [], []
    for stall in (0.0, 0.05):
        stamp = clocks.t + WALL_AHEAD  # the sender's stamp, just published
        clocks.stall(stall)
        now = clocks.monotonic()
        naive.append(now - (clocks.wall() - stamp))  # the conversion this replaced
        converted.append(conv.to_monotonic(stamp))
        clocks.t += 0.033
    assert naive[1] < naive[0]  # the scenario is the one that reordered commands
    assert converted[1] - converted[0] == pytest.approx(0.033, abs=1e-4)
    for t in converted:
        assert gate.submit(t + 0.001, q, t)
    assert gate.rejections["out_of_order"] == 0


def test_a_wall_clock_step_is_followed_and_loose_readings_keep_the_last_offset():
    clocks = Clocks()
    conv = clocks.converter()
    assert conv.offset() == approx(WALL_AHEAD)
    clocks.step = 2.0
    assert conv.offset() == approx(WALL_AHEAD + 2.0)
    clocks.stall_each = 0.01  # every reading 10 ms wide: none believed
    clocks.step = 5.0
    assert conv.offset() == approx(WALL_AHEAD + 2.0)
    assert conv.loose == WallToMonotonic.ATTEMPTS


def test_with_no_tight_reading_yet_the_tightest_is_used():
    clocks = Clocks()
    widths = iter([0.03, 0.01, 0.02])
    reads = 0

    def monotonic() -> float:
        nonlocal reads
        value = clocks.monotonic()
        if reads % 2 == 0:  # the read before the wall clock's
            clocks.t += next(widths)
        reads += 1
        return value

    conv = WallToMonotonic(monotonic=monotonic, wall=clocks.wall)
    # a reading is centred on its bracket, so each is off by half its width
    assert conv.offset() == approx(WALL_AHEAD + 0.005)
    assert conv.loose == 3
