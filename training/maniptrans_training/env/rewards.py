"""Reward terms of both stages, each ``w · exp(−k · error)``, as pure batched functions.

Errors are in SI units ([m], [rad], [m/s], [rad/s], [W]); every function takes (N, ...) arrays
and returns (N,) rewards. ``imitation_terms`` / ``residual_terms`` return every term by name so
a trainer can log them; ``sum_terms`` adds them up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Term:
    """One reward term: weight ``w`` and sharpness ``k`` (per unit of its error)."""

    w: float
    k: float


@dataclass(frozen=True)
class ImitationWeights:
    """Stage-1 terms (facts table). Tips are thumb, index, middle, ring, pinky."""

    wrist_pos: Term = Term(0.1, 40.0)
    wrist_rot: Term = Term(0.6, 1.0)
    tips: tuple[Term, ...] = (
        Term(0.9, 100.0),
        Term(0.8, 90.0),
        Term(0.75, 80.0),
        Term(0.6, 60.0),
        Term(0.6, 60.0),
    )
    level1: Term = Term(0.5, 50.0)
    level2: Term = Term(0.3, 40.0)
    wrist_lin_vel: Term = Term(0.1, 1.0)
    wrist_ang_vel: Term = Term(0.05, 1.0)
    joint_vel: Term = Term(0.1, 1.0)
    joint_power: Term = Term(0.5, 10.0)
    wrist_power: Term = Term(0.5, 2.0)


@dataclass(frozen=True)
class ResidualWeights:
    """Stage-2 extra terms (facts). ``contact_radius``: human tip-object distance [m] gate."""

    obj_pos: Term = Term(5.0, 80.0)
    obj_rot: Term = Term(1.0, 3.0)
    obj_lin_vel: Term = Term(0.1, 1.0)
    obj_ang_vel: Term = Term(0.1, 1.0)
    contact: float = 1.0
    contact_radius: float = 0.025


def exp_term(term: Term, error: np.ndarray) -> np.ndarray:
    """w · exp(−k · error)."""
    return term.w * np.exp(-term.k * np.asarray(error, float))


@dataclass(frozen=True)
class ImitationErrors:
    """Per-environment tracking errors (N, ...), SI units.

    Attributes:
        wrist_pos: (N,) ‖p − p_ref‖ [m];  wrist_rot: (N,) rotation angle [rad].
        tips: (N, 5) fingertip distances [m];  level1: (N, 3), level2: (N, 9) body distances [m].
        wrist_lin_vel: (N,) ‖v − v_ref‖ [m/s];  wrist_ang_vel: (N,) ‖ω − ω_ref‖ [rad/s].
        joint_vel: (N, 12) |q̇ − q̇_ref| [rad/s].
        joint_power: (N,) Σ|τ·q̇| [W];  wrist_power: (N,) |F·v| + |τ·ω| [W].
    """

    wrist_pos: np.ndarray
    wrist_rot: np.ndarray
    tips: np.ndarray
    level1: np.ndarray
    level2: np.ndarray
    wrist_lin_vel: np.ndarray
    wrist_ang_vel: np.ndarray
    joint_vel: np.ndarray
    joint_power: np.ndarray
    wrist_power: np.ndarray


def imitation_terms(e: ImitationErrors, w: ImitationWeights = ImitationWeights()):
    """Stage-1 reward terms by name, each (N,)."""
    terms = {
        "wrist_pos": exp_term(w.wrist_pos, e.wrist_pos),
        "wrist_rot": exp_term(w.wrist_rot, e.wrist_rot),
        "level1": exp_term(w.level1, np.mean(e.level1, axis=-1)),
        "level2": exp_term(w.level2, np.mean(e.level2, axis=-1)),
        "wrist_lin_vel": exp_term(w.wrist_lin_vel, e.wrist_lin_vel),
        "wrist_ang_vel": exp_term(w.wrist_ang_vel, e.wrist_ang_vel),
        "joint_vel": exp_term(w.joint_vel, np.mean(e.joint_vel, axis=-1)),
        "joint_power": exp_term(w.joint_power, e.joint_power),
        "wrist_power": exp_term(w.wrist_power, e.wrist_power),
    }
    for i, name in enumerate(("thumb", "index", "middle", "ring", "pinky")):
        terms[f"tip_{name}"] = exp_term(w.tips[i], e.tips[:, i])
    return terms


def contact_reward(
    tip_force: np.ndarray, human_tip_obj_dist: np.ndarray, w: ResidualWeights = ResidualWeights()
) -> np.ndarray:
    """w · exp(−1 / Σ‖F_tip‖) over fingertips whose human counterpart is near the object.

    Args:
        tip_force: (N, 5) contact force magnitudes [N].
        human_tip_obj_dist: (N, 5) human fingertip-object distance [m].
    """
    near = np.asarray(human_tip_obj_dist) < w.contact_radius
    total = np.sum(np.where(near, tip_force, 0.0), axis=-1)
    with np.errstate(divide="ignore"):
        return w.contact * np.where(total > 0, np.exp(-1.0 / np.maximum(total, 1e-12)), 0.0)


def residual_terms(
    e: ImitationErrors,
    obj_pos: np.ndarray,
    obj_rot: np.ndarray,
    obj_lin_vel: np.ndarray,
    obj_ang_vel: np.ndarray,
    tip_force: np.ndarray,
    human_tip_obj_dist: np.ndarray,
    wi: ImitationWeights = ImitationWeights(),
    wr: ResidualWeights = ResidualWeights(),
):
    """Stage-2 terms: stage-1 terms + object tracking (errors (N,) in [m], [rad], [m/s], [rad/s])
    + contact."""
    terms = imitation_terms(e, wi)
    terms["obj_pos"] = exp_term(wr.obj_pos, obj_pos)
    terms["obj_rot"] = exp_term(wr.obj_rot, obj_rot)
    terms["obj_lin_vel"] = exp_term(wr.obj_lin_vel, obj_lin_vel)
    terms["obj_ang_vel"] = exp_term(wr.obj_ang_vel, obj_ang_vel)
    terms["contact"] = contact_reward(tip_force, human_tip_obj_dist, wr)
    return terms


def sum_terms(terms: dict[str, np.ndarray]) -> np.ndarray:
    """(N,) total of every term."""
    return np.sum(np.stack(list(terms.values())), axis=0)
