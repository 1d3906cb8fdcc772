"""Early-termination rules of both stages as pure batched functions (True = terminate).

Stage 1 (after a 20-frame grace): any fingertip error above its threshold (4 / 4.5 / 5 / 6 /
6 cm, thumb → pinky), any level-1 body above 7 cm or level-2 body above 8 cm — every threshold
multiplied by the curriculum factor s/0.7.

Stage 2 (after an 8-frame grace): object position error above 2 cm or rotation error above 30°,
multiplied by s³/0.343; or a human fingertip within 5 mm of the object while the robot finger
has had no contact recently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from maniptrans_training.env.curriculum import (
    imitation_threshold_factor,
    residual_threshold_factor,
)


@dataclass(frozen=True)
class TerminationConfig:
    """Thresholds in SI units and the grace periods in frames."""

    tips: tuple[float, float, float, float, float] = (0.04, 0.045, 0.05, 0.06, 0.06)  # [m]
    level1: float = 0.07  # [m]
    level2: float = 0.08  # [m]
    imitation_grace: int = 20
    obj_pos: float = 0.02  # [m]
    obj_rot: float = math.radians(30.0)  # [rad]
    residual_grace: int = 8
    human_contact_dist: float = 0.005  # [m]
    s_min: float = 0.7


def imitation_termination(
    tip_err: np.ndarray,
    level1_err: np.ndarray,
    level2_err: np.ndarray,
    episode_frame: np.ndarray,
    s: np.ndarray | float,
    cfg: TerminationConfig = TerminationConfig(),
) -> np.ndarray:
    """(N,) bool. tip_err (N, 5), level1_err (N, 3), level2_err (N, 9) [m]; episode_frame (N,)."""
    f = imitation_threshold_factor(s, cfg.s_min)
    f = np.broadcast_to(f, np.shape(episode_frame))[:, None]
    bad = np.any(tip_err > np.asarray(cfg.tips)[None] * f, axis=-1)
    bad |= np.any(level1_err > cfg.level1 * f, axis=-1)
    bad |= np.any(level2_err > cfg.level2 * f, axis=-1)
    return bad & (np.asarray(episode_frame) >= cfg.imitation_grace)


def residual_termination(
    obj_pos_err: np.ndarray,
    obj_rot_err: np.ndarray,
    human_tip_obj_dist: np.ndarray,
    recent_contact: np.ndarray,
    episode_frame: np.ndarray,
    s: np.ndarray | float,
    cfg: TerminationConfig = TerminationConfig(),
) -> np.ndarray:
    """(N,) bool. Object errors (N,) [m], [rad]; human_tip_obj_dist (N, 5) [m]; recent_contact
    (N, 5) bool."""
    f = np.broadcast_to(residual_threshold_factor(s, cfg.s_min), np.shape(episode_frame))
    bad = (obj_pos_err > cfg.obj_pos * f) | (obj_rot_err > cfg.obj_rot * f)
    missing = (np.asarray(human_tip_obj_dist) < cfg.human_contact_dist) & ~np.asarray(
        recent_contact, bool
    )
    bad |= np.any(missing, axis=-1)
    return bad & (np.asarray(episode_frame) >= cfg.residual_grace)
