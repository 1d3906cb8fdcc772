"""Linear interpolation between the latest time-stamped commands, never extrapolating."""

from __future__ import annotations

import bisect
from collections import deque

import numpy as np


class CommandInterpolator:
    """Keeps the last ``capacity`` commands and samples them at any time.

    Upstream nodes publish at their own rate (60 Hz trajectories) while a driver streams at its
    loop rate (100 Hz); sampling a little in the past (``delay``) lets the driver interpolate
    between two received commands instead of holding the last one in steps.

    Args:
        capacity: commands kept.
    """

    def __init__(self, capacity: int = 64) -> None:
        self._times: deque[float] = deque(maxlen=capacity)
        self._values: deque[np.ndarray] = deque(maxlen=capacity)

    def __len__(self) -> int:
        return len(self._times)

    @property
    def newest_time(self) -> float | None:
        """Stamp [s] of the newest command, or None when empty."""
        return self._times[-1] if self._times else None

    def clear(self) -> None:
        """Forget every command."""
        self._times.clear()
        self._values.clear()

    def push(self, t: float, q: np.ndarray) -> bool:
        """Add command ``q`` stamped ``t`` [s]; False (and nothing stored) if ``t`` is older than
        the newest command. A command with the newest command's stamp replaces it."""
        if self._times and t < self._times[-1]:
            return False
        if self._times and t == self._times[-1]:
            self._values[-1] = np.array(q, dtype=float)
            return True
        self._times.append(float(t))
        self._values.append(np.array(q, dtype=float))
        return True

    def sample(self, t: float) -> np.ndarray | None:
        """The command at time ``t`` [s]: linear between the two commands around ``t``, the
        oldest before the first and the newest after the last (no extrapolation)."""
        if not self._times:
            return None
        if t >= self._times[-1]:
            return self._values[-1].copy()
        if t <= self._times[0]:
            return self._values[0].copy()
        i = bisect.bisect_right(self._times, t)
        t0, t1 = self._times[i - 1], self._times[i]
        w = (t - t0) / (t1 - t0)
        return (1.0 - w) * self._values[i - 1] + w * self._values[i]
