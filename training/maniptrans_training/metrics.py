"""The paper's evaluation metrics (Table 1) as pure functions on arrays.

* E_r  — mean per-frame object rotation error [deg]
* E_t  — mean per-frame object translation error [cm]
* E_j  — mean per-joint (body keypoint) position error [cm]
* E_ft — mean per-fingertip position error [cm]
* SR   — share of rollouts [%] in which every error stays under its threshold in every frame
* valid — share of a rollout's frames before the first one with an error over its threshold
  (1 for a success): how far the transfer holds. The paper leaves Retarget-only's errors out
  ("–"); here they are measured over the whole rollout, and ``valid`` shows from where on they
  describe hands that have lost the object.

Inputs are in SI units (m, rad; rotations as matrices) and the outputs in the paper's units.
Bimanual rollouts pass both hands' points concatenated along the point axis (right then left,
5 tips each); thresholds per fingertip repeat per hand.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from maniptrans_training.errors import TrainingError
from maniptrans_training.rotations import rotation_angle


def object_rotation_error_deg(R: np.ndarray, R_ref: np.ndarray) -> np.ndarray:
    """(T, 3, 3) x2 -> (T,) geodesic angle [deg] between simulated and reference rotations."""
    return np.degrees(rotation_angle(np.asarray(R, float), np.asarray(R_ref, float)))


def object_translation_error_cm(p: np.ndarray, p_ref: np.ndarray) -> np.ndarray:
    """(T, 3) x2 [m] -> (T,) distance [cm]."""
    return 100.0 * np.linalg.norm(np.asarray(p, float) - np.asarray(p_ref, float), axis=-1)


def point_error_cm(x: np.ndarray, x_ref: np.ndarray) -> np.ndarray:
    """(T, K, 3) x2 [m] -> (T, K) per-point distance [cm] (joints or fingertips)."""
    x, x_ref = np.asarray(x, float), np.asarray(x_ref, float)
    if x.shape != x_ref.shape or x.ndim != 3 or x.shape[-1] != 3:
        raise TrainingError(
            f"point_error_cm: expected two (T, K, 3) arrays, found {x.shape}, {x_ref.shape}"
        )
    return 100.0 * np.linalg.norm(x - x_ref, axis=-1)


@dataclass(frozen=True)
class SuccessThresholds:
    """Final thresholds of the reference code (stage-2 termination at s = 0.7).

    Attributes:
        object_pos: object translation [m].
        object_rot: object rotation [rad].
        tips: per fingertip, thumb..pinky [m]; repeated for a second hand.
        joints: per non-tip body [m], or None to leave joints out of SR.
    """

    object_pos: float = 0.02
    object_rot: float = math.radians(30.0)
    tips: tuple[float, float, float, float, float] = (0.04, 0.045, 0.05, 0.06, 0.06)
    joints: float | None = None


@dataclass(frozen=True)
class RolloutMetrics:
    """Per-rollout means (paper units) and the success flag; NaN where a term does not apply."""

    E_r: float
    E_t: float
    E_j: float
    E_ft: float
    success: bool
    valid: float = float("nan")


def frames_within(
    tip_err_cm: np.ndarray,
    thresholds: SuccessThresholds = SuccessThresholds(),
    obj_t_err_cm: np.ndarray | None = None,
    obj_r_err_deg: np.ndarray | None = None,
    joint_err_cm: np.ndarray | None = None,
) -> np.ndarray:
    """(T,) bool: every error of the frame under its threshold (arguments as
    :func:`rollout_success`)."""
    tip = np.asarray(tip_err_cm, float)
    if tip.ndim != 2 or tip.shape[1] % 5:
        raise TrainingError(f"rollout_success: tip errors must be (T, 5·H), found {tip.shape}")
    limit = 100.0 * np.tile(thresholds.tips, tip.shape[1] // 5)
    ok = np.all(tip <= limit, axis=1)

    def per_frame(e: np.ndarray) -> np.ndarray:
        e = np.asarray(e, float)
        return e.reshape(e.shape[0], -1)

    if obj_t_err_cm is not None:
        ok &= np.all(per_frame(obj_t_err_cm) <= 100.0 * thresholds.object_pos, axis=1)
    if obj_r_err_deg is not None:
        ok &= np.all(per_frame(obj_r_err_deg) <= math.degrees(thresholds.object_rot), axis=1)
    if joint_err_cm is not None and thresholds.joints is not None:
        ok &= np.all(per_frame(joint_err_cm) <= 100.0 * thresholds.joints, axis=1)
    return ok


def valid_fraction(within: np.ndarray) -> float:
    """Share of frames before the first one outside the thresholds (1.0 when none is)."""
    w = np.asarray(within, bool)
    bad = np.flatnonzero(~w)
    return 1.0 if bad.size == 0 else float(bad[0]) / w.size


def rollout_success(
    tip_err_cm: np.ndarray,
    thresholds: SuccessThresholds = SuccessThresholds(),
    obj_t_err_cm: np.ndarray | None = None,
    obj_r_err_deg: np.ndarray | None = None,
    joint_err_cm: np.ndarray | None = None,
) -> bool:
    """True when every error is under its threshold in every frame.

    Args:
        tip_err_cm: (T, 5·H) fingertip errors [cm], H hands.
        obj_t_err_cm, obj_r_err_deg: (T,) or (T, n_objects), or None without an object.
        joint_err_cm: (T, J) body errors [cm] (used only if ``thresholds.joints`` is set).
    """
    within = frames_within(tip_err_cm, thresholds, obj_t_err_cm, obj_r_err_deg, joint_err_cm)
    return bool(np.all(within))


def evaluate_rollout(
    tips: np.ndarray,
    tips_ref: np.ndarray,
    joints: np.ndarray,
    joints_ref: np.ndarray,
    obj_R: np.ndarray | None = None,
    obj_R_ref: np.ndarray | None = None,
    obj_p: np.ndarray | None = None,
    obj_p_ref: np.ndarray | None = None,
    thresholds: SuccessThresholds = SuccessThresholds(),
) -> RolloutMetrics:
    """All metrics of one rollout.

    Args:
        tips, tips_ref: (T, 5·H, 3) fingertip positions [m].
        joints, joints_ref: (T, J, 3) body positions [m] that have a human counterpart.
        obj_R, obj_R_ref: (T, 3, 3) or (T, n, 3, 3) object rotations, or None.
        obj_p, obj_p_ref: (T, 3) or (T, n, 3) object positions [m], or None.
    """
    e_ft = point_error_cm(tips, tips_ref)
    e_j = point_error_cm(joints, joints_ref)
    e_r = e_t = None
    if obj_R is not None and obj_R_ref is not None:
        e_r = object_rotation_error_deg(obj_R, obj_R_ref)
    if obj_p is not None and obj_p_ref is not None:
        e_t = object_translation_error_cm(obj_p, obj_p_ref)
    within = frames_within(e_ft, thresholds, e_t, e_r, e_j)
    return RolloutMetrics(
        E_r=float(np.mean(e_r)) if e_r is not None else float("nan"),
        E_t=float(np.mean(e_t)) if e_t is not None else float("nan"),
        E_j=float(np.mean(e_j)),
        E_ft=float(np.mean(e_ft)),
        success=bool(np.all(within)),
        valid=valid_fraction(within),
    )


def success_rate(flags: Iterable[bool]) -> float:
    """Share of True [%]; NaN for no rollouts."""
    f = list(flags)
    return 100.0 * sum(bool(x) for x in f) / len(f) if f else float("nan")


def mean_valid_percent(rollouts: Iterable[RolloutMetrics]) -> float:
    """Mean :attr:`RolloutMetrics.valid` [%] (NaN when no rollout has it)."""
    v = [r.valid for r in rollouts if not math.isnan(r.valid)]
    return 100.0 * float(np.mean(v)) if v else float("nan")


def summarize(rollouts: Sequence[RolloutMetrics]) -> dict[str, float]:
    """Means over rollouts of E_r, E_t, E_j, E_ft, and SR [%]."""
    if not rollouts:
        raise TrainingError("summarize: no rollouts to summarise")
    out = {
        k: float(np.nanmean([getattr(r, k) for r in rollouts]))
        if not all(math.isnan(getattr(r, k)) for r in rollouts)
        else float("nan")
        for k in ("E_r", "E_t", "E_j", "E_ft")
    }
    out["SR"] = success_rate(r.success for r in rollouts)
    out["valid"] = mean_valid_percent(rollouts)
    out["n"] = float(len(rollouts))
    return out


def cell(v: float) -> str:
    """A table cell: two decimals, "–" for NaN (a term that does not apply)."""
    return "–" if math.isnan(v) else f"{v:.2f}"


def format_rows(
    rows: dict[str, dict[str, float]],
    columns: Sequence[tuple[str, Callable[[dict[str, float]], str]]],
    name_width: int = 32,
) -> str:
    """A text table: one line per ``rows`` entry (``method`` column first), then a column per
    ``(header, cell of a row)`` in ``columns``, each as wide as its widest entry."""
    cells = [[fmt(m) for _h, fmt in columns] for m in rows.values()]
    widths = [max([len(h), *(len(r[k]) for r in cells)]) for k, (h, _f) in enumerate(columns)]
    head = f"{'method':<{name_width}} " + " ".join(
        f"{h:>{w}}" for (h, _f), w in zip(columns, widths, strict=True)
    )
    lines = [head, "-" * len(head)]
    for name, r in zip(rows, cells, strict=True):
        row = " ".join(f"{c:>{w}}" for c, w in zip(r, widths, strict=True))
        lines.append(f"{name:<{name_width}} {row}")
    return "\n".join(lines)


_ERRORS = (("E_r deg", "E_r"), ("E_t cm", "E_t"), ("E_j cm", "E_j"), ("E_ft cm", "E_ft"))
ERROR_COLUMNS: tuple[tuple[str, Callable[[dict[str, float]], str]], ...] = tuple(
    (head, lambda m, key=key: cell(m[key])) for head, key in _ERRORS
)
"""The four error columns of the paper's tables."""
VALID_COLUMN = ("valid %", lambda m: cell(m.get("valid", math.nan)))


def format_table(rows: dict[str, dict[str, float]]) -> str:
    """The paper's table layout: method | E_r [deg] | E_t [cm] | E_j [cm] | E_ft [cm] | SR [%] |
    valid [%]."""
    return format_rows(rows, [*ERROR_COLUMNS, ("SR %", lambda m: cell(m["SR"])), VALID_COLUMN])
