"""A trained stage-2 policy as a rollout policy, the paper's metrics per method, the export.

Rollouts, metrics and export are Training I's (``maniptrans_training.rollout`` /
``.export``), so every method — Retarget-only included — is measured by the same code: one
environment from the reference's first frame to its end, full gravity and base friction, no
early termination. What this module adds:

* :class:`ComposedPolicy` — base (imitators, kinematic reference or zero) + residual, i.e.
  ``a = clip(a_base + scale·Δa)``, as an ``obs -> action`` callable;
* :class:`HandBack` — where a hand's object has been lost beyond the final termination
  thresholds, that hand's residual is switched off for the rest of the rollout (not in the
  paper, see the class);
* "SR single" (per hand, each with its own fingertips and object) next to "SR bimanual" (per
  two-hand rollout), and the paper-style table with both.
"""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tensordict import TensorDict

from maniptrans_training.env.mujoco_env import ACTIONS_PER_HAND
from maniptrans_training.env.terminations import TerminationConfig
from maniptrans_training.errors import TrainingError
from maniptrans_training.metrics import (
    ERROR_COLUMNS,
    VALID_COLUMN,
    RolloutMetrics,
    cell,
    format_rows,
    mean_valid_percent,
)
from maniptrans_training.rl.adapter import (
    OBJECT_POS_ERROR_SLICE,
    OBJECT_ROT_ERROR_SLICE,
    stage_groups,
)
from maniptrans_training.rl.residual import compose


class HandBack:
    """Latch, per hand, "this hand's object is lost": its residual has nothing left to do.

    A residual is trained only on states before its episode ends, and stage-2 episodes end
    when the object strays beyond the termination thresholds (2 cm / 30° at the end of the
    curriculum). A rollout that goes on after that feeds the residual states it never saw;
    measured on the synthetic demos, it then moves the fingertips off the demo while the frozen
    base (the imitator) alone would have kept following it. So once a hand's object is more
    than ``obj_pos`` from its reference position or ``obj_rot`` from its reference rotation
    (read from the hand's observation: the next frame's reference), that hand gets the base
    action alone until :meth:`reset`. Hands without an object never hand back.

    Not in the paper, whose rollouts stop at the termination. ``ComposedPolicy(...,
    hand_back=False)`` is the plain composition.
    """

    def __init__(
        self,
        layout: dict[str, slice],
        sides: Sequence[str],
        obj_pos: float = TerminationConfig.obj_pos,
        obj_rot: float = TerminationConfig.obj_rot,
    ) -> None:
        if not (obj_pos > 0 and obj_rot > 0):
            raise TrainingError(
                f"HandBack: thresholds must be > 0, got {obj_pos} m and {obj_rot} rad"
            )
        self.blocks = {s: layout.get(f"{s}/object") for s in sides}
        self.sides = tuple(sides)
        self.obj_pos, self.obj_rot = float(obj_pos), float(obj_rot)
        self.reset()

    def reset(self) -> None:
        """Forget every latch (a new rollout starts)."""
        self.lost: dict[str, torch.Tensor] = {}  # per side, (N,) bool
        self.lost_at: dict[str, int | None] = {s: None for s in self.sides}  # first call lost
        self._frame = 0

    def mask(self, policy_obs: torch.Tensor) -> torch.Tensor:
        """(N, A) 1 where the residual still acts, 0 on the actions of hands that handed back."""
        n = policy_obs.shape[0]
        keep = []
        for side in self.sides:
            block = self.blocks[side]
            lost = self.lost.get(side, torch.zeros(n, dtype=torch.bool))
            if block is not None:
                o = policy_obs[:, block]
                e_p = torch.linalg.vector_norm(o[:, OBJECT_POS_ERROR_SLICE], dim=-1)
                e_r = torch.linalg.vector_norm(o[:, OBJECT_ROT_ERROR_SLICE], dim=-1)
                now = (e_p > self.obj_pos) | (e_r > self.obj_rot)
                if self.lost_at[side] is None and bool(now.any()):
                    self.lost_at[side] = self._frame
                lost = lost | now
            self.lost[side] = lost
            keep.append((~lost).to(torch.float32)[:, None].expand(n, ACTIONS_PER_HAND))
        self._frame += 1
        return torch.cat(keep, dim=1)


class ComposedPolicy:
    """``obs -> clip(a_base + scale·Δa)`` for a raw ``ManipTransEnv`` observation.

    Args:
        reference: the task's reference (for the observation layout).
        cfg: the stage-2 settings (base kind, scale, tactile observation switch).
        imitators: per side the stage-1 checkpoints (base "imitator").
        residual: the residual actor (obs with ``base_action`` -> Δa), or None for Δa = 0.
        hand_back: switch a hand's residual off once its object is lost (:class:`HandBack`);
            False: the plain composition throughout; None: as ``cfg.hand_back`` says.
    """

    def __init__(
        self, reference, cfg, imitators=None, residual=None, hand_back: bool | None = None
    ) -> None:
        from maniptrans_training.rl.stages import make_base, make_env

        probe = make_env(reference, "residual", 1, 0)
        self.layout = probe.obs_layout()
        self.sides = tuple(probe.sides)
        self.cfg = cfg
        self.base = make_base(cfg.base, self.sides, probe.num_actions, imitators)
        self.residual = residual
        on = cfg.hand_back if hand_back is None else hand_back
        self.hand_back = HandBack(self.layout, self.sides) if on else None

    def reset(self) -> None:
        """Forget what :class:`HandBack` latched (a new rollout starts)."""
        if self.hand_back is not None:
            self.hand_back.reset()

    def __call__(self, obs: TensorDict) -> torch.Tensor:
        g = stage_groups(obs, self.layout, self.sides, self.cfg.tactile_obs)
        with torch.no_grad():
            base = self.base(g).to(torch.float32)
            g["base_action"] = base
            if self.residual is None:
                return torch.clamp(base, -1.0, 1.0)
            delta = self.residual(g)
            if self.hand_back is not None:
                delta = delta * self.hand_back.mask(obs["policy"])
            return compose(base, delta, self.cfg.residual_scale)


def env_config_for(cfg):
    """The evaluation ``EnvConfig`` of a stage-2 config (its reward/termination switches)."""
    from maniptrans_training.env import EnvConfig
    from maniptrans_training.rl.stages import stage2_env_overrides

    return EnvConfig(stage="residual", **stage2_env_overrides(cfg))


@dataclass(frozen=True)
class TaskMetrics:
    """One rollout's metrics, overall and per hand."""

    overall: RolloutMetrics
    per_hand: dict[str, RolloutMetrics]


def measure(record, reference) -> TaskMetrics:
    """Paper metrics of a recorded rollout, overall and for each hand on its own."""
    from maniptrans_training.rollout import evaluate_record

    per_hand = {
        s: evaluate_record(record, dataclasses.replace(reference, hands={s: reference.hands[s]}))
        for s in reference.sides
    }
    return TaskMetrics(evaluate_record(record, reference), per_hand)


def evaluate_policy(reference, cfg, policy: ComposedPolicy):
    """(record, metrics) of one deterministic full-length rollout."""
    from maniptrans_training.rollout import run_rollout

    policy.reset()
    record = run_rollout(reference, env_config_for(cfg), policy)
    return record, measure(record, reference)


def summarize_method(results: Sequence[TaskMetrics]) -> dict[str, float]:
    """Means over tasks of E_r, E_t, E_j, E_ft; SR single over hands, SR bimanual over tasks."""

    def mean(key: str) -> float:
        v = [getattr(r.overall, key) for r in results]
        v = [x for x in v if not math.isnan(x)]
        return float(np.mean(v)) if v else float("nan")

    hands = [h.success for r in results for h in r.per_hand.values()]
    bi = [r.overall.success for r in results if len(r.per_hand) == 2]
    return {
        "E_r": mean("E_r"),
        "E_t": mean("E_t"),
        "E_j": mean("E_j"),
        "E_ft": mean("E_ft"),
        "SR_single": 100.0 * float(np.mean(hands)) if hands else float("nan"),
        "SR_bimanual": 100.0 * float(np.mean(bi)) if bi else float("nan"),
        "valid": mean_valid_percent(r.overall for r in results),
        "n": float(len(results)),
    }


def format_methods_table(rows: dict[str, dict[str, float]]) -> str:
    """Paper-style table: method | E_r° | E_t cm | E_j cm | E_ft cm | SR single / bimanual % |
    valid % (share of frames before the first threshold violation, see ``metrics``)."""
    sr = ("SR single / bi %", lambda m: f"{cell(m['SR_single'])} / {cell(m['SR_bimanual'])}")
    return format_rows(rows, [*ERROR_COLUMNS, sr, VALID_COLUMN], name_width=24)


def export_atomically(record, demo, final: Path, start_frame: int = 0, lift: float = 0.0) -> Path:
    """Export ``record`` of ``demo`` to the sequence folder ``final`` (name ``<demo>_<kind>``)
    through a temporary sibling folder renamed into place: it is complete or absent.

    ``start_frame`` / ``lift``: drop the first frames, raise hands and objects [m]
    (``maniptrans_training.export.trim_task`` / ``lift_task``)."""
    from maniptrans_training.export import export_task, lift_task, record_to_task, trim_task

    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.tmp-"))
    try:
        task = record_to_task(record, demo, name=final.name.rsplit("_", 1)[0])
        task = lift_task(trim_task(task, start_frame), lift)
        written = export_task(task, demo, tmp)
        os.replace(written, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final
