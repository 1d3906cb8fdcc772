"""Playback clock of the trajectory player: when each frame is due, with rate scale, loop,
pause / resume / restart. Pure (no rclpy); times are seconds of a monotonic clock.

Frame ``k`` has a data time ``times[k]`` [s] (``k / 60`` for a transferred task, the recorded
offsets for a bag). While playing, data time advances at ``rate_scale`` × wall time::

    data_time(now) = data_anchor + (now − wall_anchor) · rate_scale

and a frame is due once ``data_time(now) >= times[k]``. Pausing freezes the data time; resuming
continues from where it stopped; restarting goes back to frame 0. With ``loop`` the sequence
starts again one frame period after its last frame.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np


class PlayState(enum.Enum):
    IDLE = "idle"  # not started (e.g. waiting for the drivers)
    PLAYING = "playing"
    PAUSED = "paused"
    FINISHED = "finished"


class PlaybackError(ValueError):
    """A playback clock was given times or a rate it cannot play."""


@dataclass
class PlaybackClock:
    """Schedules frames at their data times.

    Args:
        times: (N,) data time of each frame [s], non-decreasing, finite, N >= 1.
        rate_scale: playback speed (> 0); 2.0 plays twice as fast as recorded.
        loop: start over after the last frame instead of finishing.
    """

    times: np.ndarray
    rate_scale: float = 1.0
    loop: bool = False

    def __post_init__(self) -> None:
        t = np.asarray(self.times, dtype=float)
        if t.ndim != 1 or t.size < 1:
            raise PlaybackError(f"times: expected shape (N,) with N >= 1, found {t.shape}")
        if not np.all(np.isfinite(t)) or np.any(np.diff(t) < 0):
            raise PlaybackError("times: expected finite, non-decreasing seconds")
        self.times = t - t[0]
        _check_rate(self.rate_scale)
        diffs = np.diff(self.times)
        self.period = float(np.median(diffs)) if diffs.size else 1.0 / 60.0
        self.state = PlayState.IDLE
        self.next_index = 0
        self.loops = 0
        self._data_anchor = 0.0
        self._wall_anchor = 0.0

    @property
    def duration(self) -> float:
        """Data time from the first frame to the end of the last frame's period [s]."""
        return float(self.times[-1]) + self.period

    def data_time(self, now: float) -> float:
        """Data time [s] into the current pass at wall time ``now``."""
        if self.state is PlayState.PLAYING:
            return self._data_anchor + (now - self._wall_anchor) * self.rate_scale
        return self._data_anchor

    def start(self, now: float) -> None:
        """Begin at frame 0 (from IDLE or FINISHED)."""
        self.restart(now)

    def restart(self, now: float) -> None:
        """Go back to frame 0 and play."""
        self.next_index = 0
        self.loops = 0
        self._data_anchor = 0.0
        self._wall_anchor = now
        self.state = PlayState.PLAYING

    def pause(self, now: float) -> bool:
        """Freeze at the current data time; False if not playing."""
        if self.state is not PlayState.PLAYING:
            return False
        self._data_anchor = self.data_time(now)
        self.state = PlayState.PAUSED
        return True

    def resume(self, now: float) -> bool:
        """Continue from where :meth:`pause` stopped; False if not paused."""
        if self.state is not PlayState.PAUSED:
            return False
        self._wall_anchor = now
        self.state = PlayState.PLAYING
        return True

    def set_rate(self, now: float, rate_scale: float) -> None:
        """Change the speed without jumping in data time."""
        _check_rate(rate_scale)
        if self.state is PlayState.PLAYING:
            self._data_anchor = self.data_time(now)
            self._wall_anchor = now
        self.rate_scale = float(rate_scale)

    def due(self, now: float) -> list[int]:
        """Indices of the frames due at ``now`` that were not returned yet, in order."""
        out: list[int] = []
        if self.state is not PlayState.PLAYING:
            return out
        n = self.times.size
        while True:
            t = self.data_time(now)
            end = int(np.searchsorted(self.times, t, side="right"))
            if end > self.next_index:
                out.extend(range(self.next_index, end))
                self.next_index = end
            if self.next_index < n:
                return out
            if not self.loop:
                if t >= self.duration:  # the last frame has had its period
                    self.state = PlayState.FINISHED
                return out
            if t < self.duration:
                return out
            # wrap: the next pass starts one frame period after the last frame
            self._data_anchor = t - self.duration
            self._wall_anchor = now
            self.next_index = 0
            self.loops += 1

    def next_deadline(self, now: float) -> float | None:
        """Wall time at which the next frame (or the end) is due; None unless playing."""
        if self.state is not PlayState.PLAYING:
            return None
        target = (
            float(self.times[self.next_index])
            if self.next_index < self.times.size
            else self.duration
        )
        dt = (target - self.data_time(now)) / self.rate_scale
        return now + max(0.0, dt)


def _check_rate(rate_scale: float) -> None:
    if not (isinstance(rate_scale, (int, float)) and math.isfinite(rate_scale) and rate_scale > 0):
        raise PlaybackError(f"rate_scale: expected a finite number > 0, found {rate_scale!r}")


__all__ = ["PlayState", "PlaybackClock", "PlaybackError"]
