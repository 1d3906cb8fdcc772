"""Synthetic sim-hand trajectories for tests, benchmarks and demos (no randomness hidden inside).

:func:`sweep_trajectory` moves every sim joint through its whole range with smooth sinusoids of
incommensurate periods, so that over a few thousand frames the joints visit many combinations,
including the ones the real hand cannot follow exactly (a distal joint bent while its proximal
joint is straight).
"""

from __future__ import annotations

import numpy as np

from maniptrans_retarget.hand_errors import HandRetargetError

SIM_RATE_HZ = 60.0  # rate of a transferred task [Hz]


def sweep_trajectory(
    lower: np.ndarray,
    upper: np.ndarray,
    n_frames: int = 3600,
    seed: int = 0,
    rate_hz: float = SIM_RATE_HZ,
) -> np.ndarray:
    """Joint positions (n_frames, N) [rad] sweeping each joint from ``lower`` to ``upper`` [rad].

    Joint j follows ``mid + half · sin(2π t / P_j + φ_j)`` with periods P_j between 2 and 7 s
    (a full range sweep takes half a period) and phases drawn from ``seed``.
    """
    lo = np.asarray(lower, dtype=float).reshape(-1)
    hi = np.asarray(upper, dtype=float).reshape(-1)
    if lo.shape != hi.shape or np.any(hi < lo):
        raise HandRetargetError(f"sweep limits: expected lower <= upper, found {lo} and {hi}")
    if n_frames < 2:
        raise HandRetargetError(f"n_frames: expected >= 2, found {n_frames}")
    rng = np.random.default_rng(seed)
    n = lo.size
    periods = 2.0 + 5.0 * (np.arange(n) * 0.618034 % 1.0)  # [s], golden-ratio spread
    phases = rng.uniform(0.0, 2.0 * np.pi, n)
    t = np.arange(n_frames)[:, None] / rate_hz  # [s]
    wave = np.sin(2.0 * np.pi * t / periods + phases)
    # a little headroom is lost to nothing: the endpoints are reached exactly at the extremes
    return (hi + lo) / 2.0 + (hi - lo) / 2.0 * wave
