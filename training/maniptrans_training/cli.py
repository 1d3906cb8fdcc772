"""``maniptrans-train``: demos, kinematic retargeting, Retarget-only rollouts, evaluation, export.

Subcommands (``maniptrans-train <cmd> --help`` for the options):

* ``retarget``  — retarget a demo (scripted task or a demo ``.npz``), print per-fingertip errors
* ``rollout``   — roll the retargeted reference with the PD tracker (Retarget-only) and score it
* ``evaluate``  — Retarget-only over several tasks and seeds; the paper's results table
* ``export``    — rollout + export as a DexManipNet-layout sequence (``--on-rig`` places the task
  where the real arms reach it; ``make default-task`` uses this)
* ``demo``      — write a scripted demo as an ``.npz``
* ``penetration`` — how deep the retargeted robot hand goes into the objects, per link: a
  reference whose grasp is inside the object cannot be tracked while holding it
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from maniptrans_training.demo import Demo, load_demo, mirror_demo, resample_demo, save_demo
from maniptrans_training.env import EnvConfig, build_reference
from maniptrans_training.errors import TrainingError
from maniptrans_training.metrics import RolloutMetrics, format_table, summarize
from maniptrans_training.retarget import (
    COLLISION_AWARE,
    RetargetConfig,
    clearance_config,
    retarget_demo,
)
from maniptrans_training.synthetic import TASKS, make_demo

FINGERS = ("thumb", "index", "middle", "ring", "pinky")


def _demo(args: argparse.Namespace) -> Demo:
    if getattr(args, "demo", None):
        return resample_demo(load_demo(args.demo), 60.0)
    if getattr(args, "on_rig", False):
        from maniptrans_training.placement import place_task

        p = place_task(args.task, args.seed, _rig(args))
        print(
            f"placed '{args.task}' on the rig: reach point (sim frame) "
            f"{np.round(p.reach_point_sim, 3).tolist()} m, farthest wrist "
            f"{p.max_wrist_distance:.3f} m from it"
        )
        return p.demo
    return make_demo(args.task, args.seed)


def _rig(args: argparse.Namespace):
    from maniptrans_description.rig import RigCalibration

    return RigCalibration.load(args.rig)


def _add_source(p: argparse.ArgumentParser) -> None:
    p.add_argument("--task", choices=sorted(TASKS), default="lift_box", help="scripted demo")
    p.add_argument("--demo", type=Path, help="a demo .npz instead of a scripted task")
    p.add_argument("--seed", type=int, default=0, help="seed of the scripted demo")
    p.add_argument("--mirror", action="store_true", help="swap left and right (mirror the demo)")


def add_export_edits(p: argparse.ArgumentParser) -> None:
    """``--start-frame`` / ``--lift``: the edits an export may make for replay on the rig."""
    p.add_argument(
        "--start-frame",
        type=int,
        default=0,
        help="drop the frames before this one (e.g. the reset frames before contacts settle)",
    )
    p.add_argument(
        "--lift", type=float, default=0.0, help="raise hands and objects by this much [m]"
    )


def _add_retarget(p: argparse.ArgumentParser) -> None:
    """``--clearance-weight``: the kinematic retarget's hand-object clearance term."""
    p.add_argument(
        "--clearance-weight",
        type=float,
        default=0.0,
        metavar="W",
        help="keep the retargeted robot hand out of the objects with this weight per point "
        "(0, the default, is the paper's keypoints-only retarget; "
        f"{COLLISION_AWARE.clearance_weight:g} takes the deepest link of the synthetic demos "
        "from up to 47 mm to under 9 mm, at 15-30x the solve time)",
    )


def _retarget_config(args: argparse.Namespace) -> RetargetConfig:
    """The retarget ``--clearance-weight`` asks for (the paper's one at 0); says once when it
    is the slower collision-aware one."""
    cfg = clearance_config(args.clearance_weight)
    if cfg.clearance_weight > 0 and not getattr(args, "_told_clearance", False):
        args._told_clearance = True
        print(
            f"retargeting with clearance weight {cfg.clearance_weight:g} "
            "(keeps the hands out of the objects; ~15-30 s per demo)",
            flush=True,
        )
    return cfg


def cmd_retarget(args: argparse.Namespace) -> int:
    demo = _demo(args)
    demo = mirror_demo(demo) if args.mirror else demo
    t0 = time.perf_counter()
    res = retarget_demo(demo, _retarget_config(args))
    dt = time.perf_counter() - t0
    head = f"{'hand':<6} " + " ".join(f"{f:>7}" for f in FINGERS) + f" {'mean':>7}   [cm]"
    print(head)
    print("-" * len(head))
    for side, r in res.items():
        per = 100 * r.tip_error.mean(axis=0)
        cells = " ".join(f"{v:7.3f}" for v in per)
        print(f"{side:<6} {cells} {100 * r.mean_tip_error:7.3f}")
    print(f"{demo.num_frames} frames, {1000 * dt / demo.num_frames:.2f} ms/frame (both hands)")
    if args.out:
        arrays = {}
        for side, r in res.items():
            arrays[f"{side}_wrist_pos"] = r.wrist_pos
            arrays[f"{side}_wrist_aa"] = r.wrist_aa
            arrays[f"{side}_q"] = r.q
            arrays[f"{side}_bodies"] = r.bodies
            arrays[f"{side}_tip_error"] = r.tip_error
        args.out.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(args.out, **arrays)
        print(f"wrote {args.out}")
    return 0


def _rollout_one(demo: Demo, stage: str, progress: bool, retarget: RetargetConfig):
    from maniptrans_training.rollout import evaluate_record, run_rollout

    ref = build_reference(demo, retarget_demo(demo, retarget))
    rec = run_rollout(ref, EnvConfig(stage=stage), progress=progress)
    return ref, rec, evaluate_record(rec, ref)


def cmd_rollout(args: argparse.Namespace) -> int:
    demo = _demo(args)
    demo = mirror_demo(demo) if args.mirror else demo
    _, rec, m = _rollout_one(demo, args.stage, progress=True, retarget=_retarget_config(args))
    print(format_table({f"Retarget-only {demo.name}": summarize([m])}))
    print(f"termination rules first fired at frame {rec.failed_at} of {rec.num_frames}")
    if args.out:
        from maniptrans_training.export import export_task, lift_task, record_to_task, trim_task

        task = lift_task(trim_task(record_to_task(rec, demo), args.start_frame), args.lift)
        path = export_task(task, demo, args.out)
        print(f"wrote {path}")
    return 0


def cmd_penetration(args: argparse.Namespace) -> int:
    from maniptrans_training.penetration import format_penetration, reference_penetration

    if args.tolerance_mm < 0:
        raise TrainingError(f"--tolerance-mm must be >= 0, got {args.tolerance_mm}")
    demo = _demo(args)
    demo = mirror_demo(demo) if args.mirror else demo
    ref = build_reference(demo, retarget_demo(demo, _retarget_config(args)))
    rows = reference_penetration(ref, tolerance=args.tolerance_mm / 1000)
    print(f"{demo.name}: {ref.num_frames} frames, objects {[o.name for o in ref.objects]}")
    print(format_penetration(rows, args.tolerance_mm / 1000))
    if args.fail_above_mm is not None and rows and rows[0].depth * 1000 > args.fail_above_mm:
        r = rows[0]
        print(
            f"FAIL: {r.side} {r.link} goes {1000 * r.depth:.1f} mm into {r.object} at frame "
            f"{r.frame} (limit {args.fail_above_mm} mm)",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    rows: dict[str, list[RolloutMetrics]] = {}
    everything: list[RolloutMetrics] = []
    jobs = [(t, s, m) for t in args.tasks for s in range(args.seeds) for m in (False, True)]
    for task, seed, mirror in tqdm(jobs, desc="evaluate", unit="rollout"):
        demo = make_demo(task, seed)
        demo = mirror_demo(demo) if mirror else demo
        _, _, m = _rollout_one(demo, args.stage, progress=False, retarget=_retarget_config(args))
        rows.setdefault(task, []).append(m)
        everything.append(m)
    table = {f"Retarget-only {k}": summarize(v) for k, v in rows.items()}
    table["Retarget-only (all, bimanual)"] = summarize(everything)
    print(format_table(table))
    print(f"{len(everything)} rollouts ({args.seeds} seeds, mirrored too), stage {args.stage}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from maniptrans_training.export import export_task, lift_task, record_to_task, trim_task

    demo = _demo(args)
    _, rec, m = _rollout_one(demo, args.stage, progress=True, retarget=_retarget_config(args))
    task = lift_task(
        trim_task(record_to_task(rec, demo, name=args.name), args.start_frame), args.lift
    )
    path = export_task(task, demo, args.out)
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    print(format_table({f"Retarget-only {demo.name}": summarize([m])}))
    print(f"wrote {path} ({size / 1024:.0f} KiB, {task.num_frames} frames at 60 Hz)")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    demo = _demo(args)
    print(f"wrote {save_demo(demo, args.out)} ({demo.num_frames} frames)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="maniptrans-train",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("retarget", help="kinematic retarget of a demo; per-fingertip errors")
    _add_source(p)
    p.add_argument("--out", type=Path, help="write the retarget (npz)")
    _add_retarget(p)
    p.set_defaults(fn=cmd_retarget)

    p = sub.add_parser("rollout", help="Retarget-only rollout of one demo, scored")
    _add_source(p)
    p.add_argument("--stage", choices=("imitation", "residual"), default="residual")
    p.add_argument("--out", type=Path, help="export the rollout to this folder")
    _add_retarget(p)
    add_export_edits(p)
    p.set_defaults(fn=cmd_rollout)

    p = sub.add_parser("evaluate", help="Retarget-only over tasks and seeds: the paper's table")
    p.add_argument("--tasks", nargs="+", choices=sorted(TASKS), default=sorted(TASKS))
    p.add_argument("--seeds", type=int, default=2)
    _add_retarget(p)
    p.add_argument("--stage", choices=("imitation", "residual"), default="residual")
    p.set_defaults(fn=cmd_evaluate)

    p = sub.add_parser("export", help="rollout + export as a DexManipNet sequence")
    _add_source(p)
    p.add_argument("--stage", choices=("imitation", "residual"), default="residual")
    p.add_argument("--out", type=Path, required=True, help="folder that gets <name>_<kind>/")
    p.add_argument("--name", help="sequence name (default: the task's)")
    _add_retarget(p)
    p.add_argument("--on-rig", action="store_true", help="place the task within the arms' reach")
    p.add_argument("--rig", type=Path, help="rig calibration YAML (default: the description's)")
    add_export_edits(p)
    p.set_defaults(fn=cmd_export)

    p = sub.add_parser(
        "penetration",
        help="per robot link, how deep the retargeted hand goes into the objects",
        description="Pose the retargeted robot hands and the objects frame by frame as the "
        "reference says (no physics) and report, per robot link, the deepest penetration into "
        "an object. A link deep inside the object stops a tracker before the reference's grasp "
        "is reached, so the grasp cannot hold and every method must leave the reference to "
        "move the object.",
    )
    _add_source(p)
    p.add_argument(
        "--tolerance-mm",
        type=float,
        default=1.0,
        help="report links deeper than this [mm] (default 1)",
    )
    p.add_argument(
        "--fail-above-mm",
        type=float,
        help="exit 1 when a link goes deeper than this [mm] (e.g. to gate a dataset)",
    )
    _add_retarget(p)
    p.set_defaults(fn=cmd_penetration)

    p = sub.add_parser("demo", help="write a scripted demo as .npz")
    _add_source(p)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(fn=cmd_demo)

    from maniptrans_training.rl.cli import register as register_learning  # stage1/2, compare ...

    register_learning(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.fn(args))
    except TrainingError as exc:
        print(f"maniptrans-train: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
