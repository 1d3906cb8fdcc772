"""The comparisons of the paper: four methods (Table 1) and the ablations, with their plots.

* :func:`compare_methods` — Retarget-only, RL-only, Retarget + Residual and ManipTrans on a set
  of demos, each learned method with the same stage-2 budget; one table.
* :func:`run_ablations` — stage-2 variants with one switch off each (tactile as observation /
  reward / termination; gravity relaxation, raised friction, relaxed thresholds), their table
  and their learning curves side by side in a PNG.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path

from maniptrans_training.errors import TrainingError
from maniptrans_training.rl.evaluate import (
    ComposedPolicy,
    TaskMetrics,
    evaluate_policy,
    format_methods_table,
    summarize_method,
)
from maniptrans_training.rl.stages import (
    Stage2Config,
    make_reference,
    residual_actor,
    train_stage2,
)

METHODS = ("Retarget-only", "RL-only", "Retarget + Residual", "ManipTrans")
METHOD_BASE = {"RL-only": "zero", "Retarget + Residual": "reference", "ManipTrans": "imitator"}

ABLATIONS: dict[str, dict] = {
    "full": {},
    "no_tactile_obs": {"tactile_obs": False},
    "no_tactile_reward": {"tactile_reward": False},
    "no_tactile_termination": {"tactile_termination": False},
    "no_gravity_relax": {"physics.gravity_relax": False},
    "no_raised_friction": {"physics.raise_friction": False},
    "no_relaxed_thresholds": {"relaxed_thresholds": False},
}


def ablation_config(base: Stage2Config, name: str) -> Stage2Config:
    """``base`` with the switches of ablation ``name`` (see :data:`ABLATIONS`)."""
    from maniptrans_training.rl.config import replace_path

    if name not in ABLATIONS:
        raise TrainingError(f"unknown ablation {name!r}; choose from {sorted(ABLATIONS)}")
    cfg = base
    for key, value in ABLATIONS[name].items():
        cfg = replace_path(cfg, key, value)
    return cfg


def evaluate_checkpoint(reference, cfg: Stage2Config, checkpoint: Path | None, imitators):
    """Metrics of one deterministic rollout (checkpoint None: the base alone)."""
    residual = residual_actor(checkpoint) if checkpoint is not None else None
    return evaluate_policy(reference, cfg, ComposedPolicy(reference, cfg, imitators, residual))[1]


def compare_methods(
    demos: Sequence,
    out_dir: str | Path,
    cfg: Stage2Config,
    imitators: dict[str, Path],
    methods: Sequence[str] = METHODS,
    log: Callable[[str], None] = print,
) -> dict[str, dict[str, float]]:
    """Train and evaluate ``methods`` on every demo; writes ``methods.json`` and ``.md``."""
    out = Path(out_dir)
    per_method: dict[str, list[TaskMetrics]] = {m: [] for m in methods}
    for demo in demos:
        reference = make_reference(demo)
        for m in methods:
            if m == "Retarget-only":
                c = dataclasses.replace(cfg, base="reference")
                res = evaluate_checkpoint(reference, c, None, None)
            elif m in METHOD_BASE:
                c = dataclasses.replace(cfg, base=METHOD_BASE[m])
                run = out / demo.name / m.replace(" ", "").replace("+", "_")
                ck = train_stage2(
                    demo,
                    run,
                    c,
                    imitators if c.base == "imitator" else None,
                    _every(10, f"{demo.name} {m}", log),
                    reference=reference,
                )
                local = {s: run / f"imitator_{s}.pt" for s in demo.sides}
                res = evaluate_checkpoint(
                    reference, c, ck, local if c.base == "imitator" else None
                )
            else:
                raise TrainingError(f"unknown method {m!r}; choose from {list(METHODS)}")
            per_method[m].append(res)
            o = res.overall
            log(
                f"{demo.name:>12} {m:<20} E_ft {o.E_ft:6.2f} cm  E_t {o.E_t:6.2f} cm  "
                f"E_r {o.E_r:6.2f} deg  success {o.success}"
            )
    rows = {m: summarize_method(r) for m, r in per_method.items()}
    out.mkdir(parents=True, exist_ok=True)
    (out / "methods.json").write_text(json.dumps(rows, indent=1, default=_nan_safe))
    (out / "methods.md").write_text(format_methods_table(rows) + "\n")
    return rows


def run_ablations(
    demo,
    out_dir: str | Path,
    cfg: Stage2Config,
    imitators: dict[str, Path],
    names: Sequence[str] = tuple(ABLATIONS),
    log: Callable[[str], None] = print,
) -> dict[str, dict[str, float]]:
    """Train each ablation on ``demo``; table in ``ablations.md``, curves in ``ablations.png``."""
    out = Path(out_dir)
    reference = make_reference(demo)
    rows, curves = {}, {}
    for name in names:
        c = ablation_config(cfg, name)
        run = out / name
        ck = train_stage2(demo, run, c, imitators, _every(10, name, log), reference=reference)
        local = {s: run / f"imitator_{s}.pt" for s in demo.sides}
        res = evaluate_checkpoint(reference, c, ck, local)
        rows[name] = summarize_method([res])
        curves[name] = json.loads((run / "stage2" / "history.json").read_text())
        log(f"{name:<24} E_ft {res.overall.E_ft:6.2f} cm  E_t {res.overall.E_t:6.2f} cm")
    out.mkdir(parents=True, exist_ok=True)
    (out / "ablations.md").write_text(format_methods_table(rows) + "\n")
    (out / "ablations.json").write_text(json.dumps(rows, indent=1, default=_nan_safe))
    plot_learning_curves(curves, out / "ablations.png", title=f"stage-2 ablations on {demo.name}")
    return rows


def plot_learning_curves(curves: dict[str, list[dict]], path: Path, title: str = "") -> Path:
    """Mean step reward and mean episode length against environment steps, one line per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, rows in curves.items():
        x = [r["env_steps"] for r in rows]
        axes[0].plot(x, [r["mean_step_reward"] for r in rows], label=name)
        axes[1].plot(x, [_nan(r["mean_episode_length"]) for r in rows], label=name)
    axes[0].set_ylabel("mean reward per step")
    axes[1].set_ylabel("mean episode length [steps]")
    for ax in axes:
        ax.set_xlabel("environment steps")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _every(n: int, prefix: str, log: Callable[[str], None]):
    """Training callback that logs every ``n``-th iteration."""

    def cb(row) -> None:
        if row.iteration % n == 0:
            log(
                f"[{prefix}] it {row.iteration:4d}  {row.wall_time:6.0f} s  "
                f"reward/step {row.mean_step_reward:6.3f}  episode {row.mean_episode_length:5.1f}"
            )

    return cb


def _nan(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _nan_safe(v):
    return None if isinstance(v, float) and math.isnan(v) else str(v)
