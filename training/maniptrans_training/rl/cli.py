"""Subcommands of ``maniptrans-train`` for the learning stages (registered by :func:`register`).

``stage1``   train the per-side imitators on many demos (hands only)
``stage2``   train the residual policy of one task (``--base`` picks ManipTrans or a baseline)
``compare``  the four methods of Table 1 on a set of demos, one table
``ablate``   stage-2 ablations on one task, their table and learning curves (PNG)
``rollout``  roll a stage-2 checkpoint out and export the transferred task
``transfer`` one stage-2 job per sequence on Ray, resumable

Demos are synthetic task names (``lift_box``, ``handover``, ``pour``; ``task@seed`` for another
seed) or demo ``.npz`` files. ``--set key=value`` overrides any config field
(``train.run.iterations=50``, ``physics.gravity_relax=false``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

from maniptrans_training.errors import TrainingError

SIDES = ("right", "left")


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _apply_sets(cfg, sets: list[str] | None):
    from maniptrans_training.rl.config import replace_path

    for item in sets or []:
        key, eq, value = item.partition("=")
        if not eq:
            raise TrainingError(f"--set expects key=value, found {item!r}")
        cfg = replace_path(cfg, key.strip(), _parse_value(value.strip()))
    return cfg


def _train_overrides(cfg, args):
    from maniptrans_training.rl.config import replace_path

    if getattr(args, "iterations", None) is not None:
        cfg = replace_path(cfg, "train.run.iterations", args.iterations)
    if getattr(args, "num_envs", None) is not None:
        cfg = replace_path(cfg, "train.run.num_envs", args.num_envs)
    if getattr(args, "seed", None) is not None:
        cfg = replace_path(cfg, "train.run.seed", args.seed)
    return _apply_sets(cfg, getattr(args, "set", None))


def _demos(spec: str) -> list:
    from maniptrans_training.rl.transfer import load_sequence

    return [load_sequence(s.strip()) for s in spec.split(",") if s.strip()]


def _imitators(folder: str | None) -> dict[str, Path]:
    if folder is None:
        return {}
    out = {s: Path(folder) / f"imitator_{s}.pt" for s in SIDES}
    return {s: p for s, p in out.items() if p.is_file()}


def _stage2_cfg(args):
    from maniptrans_training.rl.stages import stage2_preset

    cfg = stage2_preset(args.preset)
    if getattr(args, "base", None):
        cfg = dataclasses.replace(cfg, base=args.base)
    return _train_overrides(cfg, args)


def _progress(prefix: str):
    def cb(row) -> None:
        print(
            f"{prefix} it {row.iteration:4d}  steps {row.env_steps:8d}  "
            f"{row.wall_time:7.1f} s  reward/step {row.mean_step_reward:7.3f}  "
            f"episode {row.mean_episode_length:6.1f}  value loss {row.value_loss:8.3f}",
            flush=True,
        )

    return cb


# ------------------------------------------------------------------------------ commands
def _stage1_job(demos, side: str, out: str | Path, cfg) -> Path:
    """One side's imitator (a job of :func:`~.parallel.run_jobs`)."""
    from maniptrans_training.rl.stages import train_stage1

    return train_stage1(demos, side, out, cfg, _progress(f"[stage1 {side}]"))


def _train_sides(demos, sides, out: str | Path, cfg, jobs: int) -> dict[str, Path]:
    """Stage 1 for every side, ``jobs`` > 1: the sides side by side in worker processes."""
    from maniptrans_training.rl.parallel import run_jobs, single_threaded

    if jobs > 1:
        cfg = single_threaded(cfg)
    work = [(demos, side, out, cfg) for side in sides]
    paths = {sides[k]: path for k, path in run_jobs(_stage1_job, work, jobs)}
    for side in sides:
        print(f"saved {paths[side]}")
    return paths


def cmd_stage1(args) -> int:
    from maniptrans_training.rl.stages import stage1_preset

    cfg = _train_overrides(stage1_preset(args.preset), args)
    demos = _demos(args.demos)
    t0 = time.monotonic()
    _train_sides(demos, args.sides.split(","), args.out, cfg, args.jobs)
    print(f"stage 1 took {time.monotonic() - t0:.0f} s")
    return 0


def cmd_stage2(args) -> int:
    from maniptrans_training.rl.experiments import evaluate_checkpoint
    from maniptrans_training.rl.stages import make_reference, train_stage2

    cfg = _stage2_cfg(args)
    (demo,) = _demos(args.demo)
    ref = make_reference(demo, cfg.retarget_clearance)
    t0 = time.monotonic()
    ck = train_stage2(
        demo, args.out, cfg, _imitators(args.imitators), _progress("[stage2]"), ref, args.demo
    )
    print(f"saved {ck} after {time.monotonic() - t0:.0f} s")
    local = {s: Path(args.out) / f"imitator_{s}.pt" for s in demo.sides}
    m = evaluate_checkpoint(ref, cfg, ck, local if cfg.base == "imitator" else None).overall
    print(f"E_ft {m.E_ft:.2f} cm  E_j {m.E_j:.2f} cm  E_t {m.E_t:.2f} cm  E_r {m.E_r:.2f} deg")
    return 0


def _imitators_or_stage1(args, demos) -> dict[str, Path]:
    """``--imitators`` if given, else train stage 1 on ``demos`` into ``<out>/stage1``."""
    if args.imitators is not None:
        return _imitators(args.imitators)
    out = Path(args.out) / "stage1"
    sides = sorted({s for d in demos for s in d.sides})
    done = {s: out / f"imitator_{s}.pt" for s in sides}
    if getattr(args, "resume", False) and all(p.is_file() for p in done.values()):
        print(f"stage 1: reusing {', '.join(str(p) for p in done.values())} (resume)")
        return done
    from maniptrans_training.rl.config import replace_path
    from maniptrans_training.rl.stages import stage1_preset

    cfg = stage1_preset(args.preset)
    if args.stage1_iterations is not None:
        cfg = replace_path(cfg, "train.run.iterations", args.stage1_iterations)
    if getattr(args, "stage1_demos", None):
        demos = _demos(args.stage1_demos)
    t0 = time.monotonic()
    paths = _train_sides(demos, sides, out, cfg, getattr(args, "jobs", 1))
    print(f"stage 1 ({', '.join(sides)}) took {time.monotonic() - t0:.0f} s")
    return paths


def cmd_compare(args) -> int:
    from maniptrans_training.rl.evaluate import format_methods_table
    from maniptrans_training.rl.experiments import METHODS, compare_methods

    methods = args.methods.split(",") if args.methods else list(METHODS)
    demos = _demos(args.demos)
    t0 = time.monotonic()
    imitators = _imitators_or_stage1(args, demos) if "ManipTrans" in methods else {}
    rows = compare_methods(
        demos,
        args.out,
        _stage2_cfg(args),
        imitators,
        methods,
        jobs=max(1, args.jobs),
        resume=args.resume,
    )
    print(format_methods_table(rows))
    print(f"total {time.monotonic() - t0:.0f} s; table in {Path(args.out) / 'methods.md'}")
    return 0


def cmd_ablate(args) -> int:
    from maniptrans_training.rl.evaluate import format_methods_table
    from maniptrans_training.rl.experiments import ABLATIONS, run_ablations

    names = list(ABLATIONS) if args.variants == "all" else args.variants.split(",")
    (demo,) = _demos(args.demo)
    imitators = _imitators_or_stage1(args, [demo])
    rows = run_ablations(demo, args.out, _stage2_cfg(args), imitators, names)
    print(format_methods_table(rows))
    print(f"learning curves: {Path(args.out) / 'ablations.png'}")
    return 0


def _placed_on_rig(spec: str, demo):
    """The synthetic task ``spec`` moved (x, y) to where the real arms reach it. The policy
    reads only relative quantities (wrist position zeroed, deltas, object in the wrist frame),
    so a checkpoint trained on the unplaced task drives the placed one."""
    from maniptrans_description.rig import RigCalibration
    from maniptrans_training.placement import place_task

    if spec.endswith(".npz"):
        raise TrainingError(f"--on-rig places synthetic tasks only, found {spec!r}")
    task, _, seed = spec.partition("@")
    placed = place_task(task, int(seed or 0), RigCalibration.load(None)).demo
    return dataclasses.replace(placed, name=demo.name)


def cmd_rollout(args) -> int:
    """Roll a stage-2 checkpoint out on the task it was trained on, export the result."""
    from maniptrans_training.export import sequence_name
    from maniptrans_training.rl.checkpoint import load_checkpoint
    from maniptrans_training.rl.evaluate import ComposedPolicy, evaluate_policy, export_atomically
    from maniptrans_training.rl.stages import make_reference, residual_actor, stage2_config_of

    ck = load_checkpoint(args.checkpoint)
    spec = getattr(args, "sequence", None) or ck.meta.get("sequence") or ck.meta.get("demo")
    (demo,) = _demos(spec)
    if getattr(args, "on_rig", False):
        demo = _placed_on_rig(spec, demo)
    cfg, imitators = stage2_config_of(args.checkpoint)
    ref = make_reference(demo, cfg.retarget_clearance)
    policy = ComposedPolicy(ref, cfg, imitators, residual_actor(args.checkpoint))
    record, m = evaluate_policy(ref, cfg, policy)
    o = m.overall
    print(
        f"{demo.name}: E_ft {o.E_ft:.2f} cm  E_j {o.E_j:.2f} cm  E_t {o.E_t:.2f} cm  "
        f"E_r {o.E_r:.2f} deg  success {o.success}"
    )
    if args.out is None:
        return 0
    final = Path(args.out) / sequence_name(demo.name, demo.sides)
    if final.exists():
        if not getattr(args, "force", False):
            raise TrainingError(f"{final} exists; pass --force to replace it")
        import shutil

        shutil.rmtree(final)
    export_atomically(
        record, demo, final, getattr(args, "start_frame", 0), getattr(args, "lift", 0.0)
    )
    print(f"exported {final} ({record.num_frames} frames)")
    return 0


def cmd_transfer(args) -> int:
    from maniptrans_training.rl.config import config_to_json
    from maniptrans_training.rl.transfer import run_transfer

    cfg = _stage2_cfg(args)
    imitators = {s: str(p) for s, p in _imitators(args.imitators).items()}
    rows = run_transfer(
        [s.strip() for s in args.sequences.split(",") if s.strip()],
        args.out,
        config_to_json(cfg),
        imitators,
        ray_address=args.ray_address,
        retries=args.retries,
    )
    for r in rows:
        extra = f"E_ft {r['E_ft']:.2f} cm" if r["status"] == "done" else r.get("error", "")
        print(f"{r['sequence']:<20} {r['status']:<8} {extra}")
    return 0 if all(r["status"] != "failed" for r in rows) else 1


# ------------------------------------------------------------------------------ parser
def _common(p: argparse.ArgumentParser, stage: int) -> None:
    p.add_argument("--preset", choices=("cpu", "paper"), default="cpu", help="config preset")
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="independent trainings (sides, demos x methods) run at once in worker processes, "
        "one torch thread each; 2 on a 2-core machine",
    )
    p.add_argument("--iterations", type=int, help="PPO iterations (overrides the preset)")
    p.add_argument("--num-envs", type=int, help="parallel environments")
    p.add_argument("--seed", type=int, help="seed of everything")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config field")
    if stage == 2:
        p.add_argument("--imitators", help="folder with imitator_<side>.pt (stage 1 output)")
        p.add_argument(
            "--stage1-iterations",
            type=int,
            help="compare/ablate without --imitators: stage-1 iterations to train them first",
        )
        p.add_argument(
            "--stage1-demos",
            help="compare/ablate without --imitators: stage-1 demos (default: the compared demos)",
        )
        p.add_argument(
            "--base",
            choices=("imitator", "reference", "zero"),
            default=None,
            help="what the residual corrects: the imitators (ManipTrans), the kinematic "
            "reference (Retarget + Residual) or nothing (RL-only)",
        )


def register(sub: argparse._SubParsersAction) -> None:
    """Add the learning subcommands to ``maniptrans-train``'s subparsers."""
    p = sub.add_parser("stage1", help="train the per-side imitators (hands only)")
    p.add_argument("--demos", default="lift_box,handover,pour", help="comma-separated demos")
    p.add_argument("--sides", default="right,left", help="comma-separated hand sides to train")
    p.add_argument("--out", required=True, help="output folder (imitator_<side>.pt, logs)")
    _common(p, 1)
    p.set_defaults(fn=cmd_stage1)

    p = sub.add_parser("stage2", help="train the residual policy of one task")
    p.add_argument(
        "--demo", required=True, help="synthetic task (lift_box, task@seed) or a demo .npz"
    )
    p.add_argument("--out", required=True, help="output folder (residual.pt, logs)")
    _common(p, 2)
    p.set_defaults(fn=cmd_stage2)

    p = sub.add_parser("compare", help="Table 1: the four methods on a set of demos")
    p.add_argument(
        "--demos", default="lift_box,handover,pour", help="comma-separated demos to compare on"
    )
    p.add_argument("--methods", help="comma-separated subset of the four methods")
    p.add_argument(
        "--resume",
        action="store_true",
        help="reuse the imitators and finished runs already in --out (evaluate, do not train)",
    )
    p.add_argument("--out", required=True, help="output folder (methods.md/.json, one run each)")
    _common(p, 2)
    p.set_defaults(fn=cmd_compare)

    p = sub.add_parser("ablate", help="stage-2 ablations with learning curves (PNG)")
    p.add_argument("--demo", default="lift_box", help="the task to ablate on")
    p.add_argument("--variants", default="all", help="comma-separated names, or all")
    p.add_argument("--out", required=True, help="output folder (ablations.md/.png)")
    _common(p, 2)
    p.set_defaults(fn=cmd_ablate)

    _register_rollout(sub)

    p = sub.add_parser("transfer", help="one stage-2 job per sequence on Ray (resumable)")
    p.add_argument("--sequences", required=True, help="comma-separated demos")
    p.add_argument("--out", required=True, help="output folder (sequences/, work/, results)")
    p.add_argument("--ray-address", default="local", help="'local', 'auto' or a cluster address")
    p.add_argument("--retries", type=int, default=1, help="retries of a failing sequence")
    _common(p, 2)
    p.set_defaults(fn=cmd_transfer)


def _register_rollout(sub: argparse._SubParsersAction) -> None:
    """``rollout --checkpoint``: extends an existing ``rollout`` subcommand (Training I's
    Retarget-only rollout) or adds one; with ``--checkpoint`` the stage-2 policy is rolled out."""
    p = sub.choices.get("rollout")
    if p is None:
        p = sub.add_parser("rollout", help="roll a stage-2 checkpoint out, export the task")
        p.add_argument("--out", type=Path, help="folder that gets <name>_<kind>/")
        previous = None
    else:
        previous = p.get_default("fn")
    p.add_argument("--checkpoint", type=Path, help="residual.pt of a stage-2 run: roll it out")
    p.add_argument("--sequence", help="demo of the checkpoint (default: the one it trained on)")
    p.add_argument("--force", action="store_true", help="replace an existing export")
    if not any("--on-rig" in a.option_strings for a in p._actions):
        p.add_argument(
            "--on-rig", action="store_true", help="place the task where the real arms reach it"
        )

    def dispatch(args) -> int:
        if args.checkpoint is not None:
            return cmd_rollout(args)
        if previous is None:
            raise TrainingError("rollout: --checkpoint is required")
        return previous(args)

    p.set_defaults(fn=dispatch)


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m maniptrans_training.rl.cli``)."""
    parser = argparse.ArgumentParser(prog="maniptrans-train", description=__doc__.split("\n")[0])
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return int(args.fn(args))
    except TrainingError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
