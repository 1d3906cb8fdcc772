"""Curricula of the two stages as pure functions of the number of simulated frames.

* threshold scale s: 1 → ``s_min`` (0.7) linearly over ``frames`` (stage 1: 128 000, stage 2:
  3 200); stage-1 thresholds are multiplied by s/0.7, stage-2 object thresholds by s³/0.343.
* gravity scale: 0 → 1 over 1 920 frames, held constant in blocks of 32 frames ("resampled
  every 32 frames").
* object friction: 3× → 1× of a base coefficient 2.0 over the same ramp.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CurriculumConfig:
    """Curriculum lengths in simulated frames (one frame = 1/60 s of one environment)."""

    s_min: float = 0.7
    imitation_frames: int = 128_000
    residual_frames: int = 3_200
    gravity_frames: int = 1_920
    gravity_block: int = 32
    friction_start: float = 3.0
    friction_base: float = 2.0


def threshold_scale(frames: np.ndarray | int, horizon: int, s_min: float = 0.7) -> np.ndarray:
    """s(frames): 1 at 0, ``s_min`` at ``horizon`` and after (linear)."""
    x = np.clip(np.asarray(frames, float) / max(horizon, 1), 0.0, 1.0)
    return 1.0 - (1.0 - s_min) * x


def imitation_threshold_factor(s: np.ndarray | float, s_min: float = 0.7) -> np.ndarray:
    """Stage-1 multiplier of the tip/joint thresholds: s / s_min (≈1.43 → 1)."""
    return np.asarray(s, float) / s_min


def residual_threshold_factor(s: np.ndarray | float, s_min: float = 0.7) -> np.ndarray:
    """Stage-2 multiplier of the object thresholds: s³ / s_min³ (≈2.92 → 1)."""
    return np.asarray(s, float) ** 3 / s_min**3


def gravity_scale(frames: np.ndarray | int, cfg: CurriculumConfig = CurriculumConfig()):
    """Gravity multiplier in [0, 1], piecewise constant over blocks of ``gravity_block`` frames."""
    f = np.asarray(frames, float)
    block = np.floor(f / cfg.gravity_block) * cfg.gravity_block
    return np.clip(block / cfg.gravity_frames, 0.0, 1.0)


def friction_coefficient(frames: np.ndarray | int, cfg: CurriculumConfig = CurriculumConfig()):
    """Object sliding friction: base · (start → 1) following the gravity ramp."""
    g = gravity_scale(frames, cfg)
    return cfg.friction_base * (cfg.friction_start + (1.0 - cfg.friction_start) * g)
