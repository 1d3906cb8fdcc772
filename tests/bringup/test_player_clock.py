"""The player's clock: frames due at their data times, rate scale, loop, pause/resume/restart."""

from __future__ import annotations

import numpy as np
import pytest

from maniptrans_sim.player import PlaybackClock, PlaybackError, PlayState

DT = 1.0 / 60.0


def _frames(n: int = 10) -> np.ndarray:
    return np.arange(n) * DT


def test_frames_become_due_at_their_data_time_and_not_before():
    c = PlaybackClock(_frames())
    c.start(100.0)
    assert c.due(100.0) == [0]
    assert c.due(100.0 + DT * 0.99) == []
    assert c.due(100.0 + DT * 1.01) == [1]
    assert c.due(100.0 + DT * 3.5) == [2, 3]


def test_rate_scale_two_plays_twice_as_fast():
    c = PlaybackClock(_frames(), rate_scale=2.0)
    c.start(0.0)
    assert c.due(DT * 2.01) == [0, 1, 2, 3, 4]
    assert c.next_deadline(DT * 2.01) == pytest.approx(DT * 2.5)


def test_clock_finishes_one_period_after_the_last_frame():
    c = PlaybackClock(_frames(3))
    c.start(0.0)
    c.due(2 * DT + 1e-9)
    assert c.state is PlayState.PLAYING
    c.due(3 * DT + 1e-9)
    assert c.state is PlayState.FINISHED
    assert c.due(10.0) == []


def test_pause_freezes_and_resume_continues_where_it_stopped():
    c = PlaybackClock(_frames())
    c.start(0.0)
    assert c.due(DT * 2.5) == [0, 1, 2]
    assert c.pause(DT * 2.5)
    assert c.due(50.0) == []  # nothing while paused, however long
    assert c.resume(50.0)
    assert c.due(50.0 + DT * 0.49) == []
    assert c.due(50.0 + DT * 0.51) == [3]


def test_restart_goes_back_to_frame_zero():
    c = PlaybackClock(_frames())
    c.start(0.0)
    c.due(DT * 5.5)
    c.restart(1.0)
    assert c.due(1.0) == [0]


def test_loop_starts_over_one_period_after_the_last_frame():
    c = PlaybackClock(_frames(3), loop=True)
    c.start(0.0)
    assert c.due(2 * DT + 1e-9) == [0, 1, 2]
    assert c.due(3 * DT + 1e-9) == [0]
    assert c.loops == 1
    assert c.state is PlayState.PLAYING


def test_changing_rate_does_not_jump_in_data_time():
    c = PlaybackClock(_frames())
    c.start(0.0)
    c.due(DT * 2.5)
    before = c.data_time(DT * 2.5)
    c.set_rate(DT * 2.5, 0.5)
    assert c.data_time(DT * 2.5) == pytest.approx(before)
    assert c.due(DT * 2.5 + DT * 0.9) == []  # frame 3 needs DT at half speed
    assert c.due(DT * 2.5 + DT * 1.1) == [3]


@pytest.mark.parametrize("rate", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_rates_are_refused_with_the_value(rate):
    with pytest.raises(PlaybackError, match="rate_scale"):
        PlaybackClock(_frames(), rate_scale=rate)


def test_decreasing_times_are_refused():
    with pytest.raises(PlaybackError, match="non-decreasing"):
        PlaybackClock(np.array([0.0, 0.2, 0.1]))


def test_nothing_is_due_before_start():
    c = PlaybackClock(_frames())
    assert c.due(100.0) == []
    assert c.next_deadline(100.0) is None
