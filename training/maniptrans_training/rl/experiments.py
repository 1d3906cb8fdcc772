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
from maniptrans_training.rl.parallel import run_jobs, single_threaded
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


def run_method(
    demo,
    method: str,
    out_dir: str | Path,
    cfg: Stage2Config,
    imitators: dict[str, Path],
    log: Callable[[str], None] = print,
    reference=None,
    resume: bool = False,
) -> TaskMetrics:
    """Train (if it learns) and evaluate one ``method`` on one ``demo``; one job of the table.

    The run goes to ``out_dir/<demo>/<method>``; Retarget-only trains nothing. ``resume``: a
    run whose ``residual.pt`` is there is evaluated again, not trained again.
    """
    reference = (
        reference if reference is not None else make_reference(demo, cfg.retarget_clearance)
    )
    if method == "Retarget-only":
        c = dataclasses.replace(cfg, base="reference")
        return evaluate_checkpoint(reference, c, None, None)
    if method not in METHOD_BASE:
        raise TrainingError(f"unknown method {method!r}; choose from {list(METHODS)}")
    c = dataclasses.replace(cfg, base=METHOD_BASE[method])
    run = Path(out_dir) / demo.name / method.replace(" ", "").replace("+", "_")
    ck = run / "residual.pt"
    if resume and ck.is_file():
        log(f"[{demo.name} {method}] {ck} exists: evaluating it (resume)")
    else:
        ck = train_stage2(
            demo,
            run,
            c,
            imitators if c.base == "imitator" else None,
            _every(10, f"{demo.name} {method}", log),
            reference=reference,
        )
    local = {s: run / f"imitator_{s}.pt" for s in demo.sides}
    return evaluate_checkpoint(reference, c, ck, local if c.base == "imitator" else None)


def _method_job(demo, method, out_dir, cfg, imitators, resume, retarget=None) -> TaskMetrics:
    """:func:`run_method` in a worker process (output flushed per line); ``retarget``: the
    demo's kinematic retarget, computed once for all its methods."""
    import functools

    from maniptrans_training.env import build_reference

    log = functools.partial(print, flush=True)
    cfg = single_threaded(cfg)
    reference = build_reference(demo, retarget) if retarget is not None else None
    return run_method(
        demo, method, out_dir, cfg, imitators, log, reference=reference, resume=resume
    )


def _retarget_job(demo, clearance: float):
    """The kinematic retarget of every hand of ``demo`` (a worker-process job)."""
    from maniptrans_training.retarget import clearance_config, retarget_demo

    return retarget_demo(demo, clearance_config(clearance))


def compare_methods(
    demos: Sequence,
    out_dir: str | Path,
    cfg: Stage2Config,
    imitators: dict[str, Path],
    methods: Sequence[str] = METHODS,
    log: Callable[[str], None] = print,
    jobs: int = 1,
    resume: bool = False,
) -> dict[str, dict[str, float]]:
    """Train and evaluate ``methods`` on every demo; writes ``methods.json`` and ``.md``.

    Every (demo, method) pair is an independent job; ``jobs`` > 1 runs that many at once in
    worker processes (one torch thread each), which on a small CPU machine nearly multiplies
    the throughput since an environment step is single-threaded Python and MuJoCo.
    ``resume``: runs finished earlier in ``out_dir`` are evaluated, not trained again.
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise TrainingError(f"unknown method(s) {unknown}; choose from {list(METHODS)}")
    out = Path(out_dir)
    pairs = [(d, m) for d in demos for m in methods]
    results: dict[tuple[str, str], TaskMetrics] = {}

    def done(demo, m: str, res: TaskMetrics) -> None:
        results[(demo.name, m)] = res
        o = res.overall
        log(
            f"{demo.name:>12} {m:<20} E_ft {o.E_ft:6.2f} cm  E_t {o.E_t:6.2f} cm  "
            f"E_r {o.E_r:6.2f} deg  success {o.success}"
        )

    # every method of a demo tracks the same reference: retarget each demo once, up front
    how = " (keeping the hands out of the objects)" if cfg.retarget_clearance > 0 else ""
    log(f"retargeting {len(demos)} demo(s){how}")
    retargets = {}
    work = [(d, cfg.retarget_clearance) for d in demos]
    # the paper's retarget takes ~1 s a demo, less than starting a worker process
    for k, r in run_jobs(_retarget_job, work, jobs if cfg.retarget_clearance > 0 else 1):
        retargets[demos[k].name] = r
    if jobs > 1:  # the longest jobs first: learned methods before the untrained baseline
        pairs.sort(key=lambda dm: dm[1] == "Retarget-only")
        work = [(d, m, out, cfg, imitators, resume, retargets[d.name]) for d, m in pairs]
        for k, res in run_jobs(_method_job, work, jobs):
            done(*pairs[k], res)
    else:
        from maniptrans_training.env import build_reference

        for d, m in pairs:
            ref = build_reference(d, retargets[d.name])
            done(d, m, run_method(d, m, out, cfg, imitators, log, reference=ref, resume=resume))
    per_method = {m: [results[(d.name, m)] for d in demos] for m in methods}
    rows = {m: summarize_method(r) for m, r in per_method.items()}
    out.mkdir(parents=True, exist_ok=True)
    (out / "methods.json").write_text(json.dumps(rows, indent=1, default=_nan_safe))
    parts = [format_methods_table(rows)]
    if len(demos) > 1:
        for d in demos:
            per_demo = {m: summarize_method([results[(d.name, m)]]) for m in methods}
            parts.append(f"{d.name}:\n{format_methods_table(per_demo)}")
    (out / "methods.md").write_text("\n\n".join(parts) + "\n")
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
    reference = make_reference(demo, cfg.retarget_clearance)
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
