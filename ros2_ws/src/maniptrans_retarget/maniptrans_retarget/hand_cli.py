"""``maniptrans-retarget-hand``: convert a transferred task's hand trajectories offline (12 -> 6).

Loads a transferred task (DexManipNet layout, through ``maniptrans_sim.task_file``), retargets
each hand in trajectory mode, prints per-fingertip errors and, with ``--out``, writes an ``.npz``
holding per side ``<side>_actuators`` (T, 6) [rad], ``<side>_command`` (T, 6) hardware 0..1000
(through the description's hand calibration), ``<side>_tip_error`` (T, 5) [m], and the actuator
names and frame period.

    maniptrans-retarget-hand sequences/grasp_bih --out grasp_hands.npz
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from maniptrans_retarget.hand_errors import HandRetargetError
from maniptrans_retarget.hand_retarget import RetargetConfig, TrajectoryResult


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="maniptrans-retarget-hand", description=__doc__.split("\n")[0]
    )
    p.add_argument("task", type=Path, help="sequence folder (or its rollouts.hdf5)")
    p.add_argument("--rollout", default=None, help="rollout name or index (default: best)")
    p.add_argument("--side", choices=("left", "right", "both"), default="both")
    p.add_argument(
        "--smooth-weight",
        type=float,
        default=RetargetConfig().smooth_weight,
        help="w_s [m²/rad²] (default %(default)g)",
    )
    p.add_argument(
        "--tip-weights", type=float, nargs=5, default=None, metavar="W", help="thumb..pinky"
    )
    p.add_argument("--calibration", type=Path, default=None, help="hand_calibration.yaml")
    p.add_argument("--out", type=Path, default=None, help="write the result to this .npz")
    return p


def error_table(tips: tuple[str, ...], err: np.ndarray) -> str:
    """Per-fingertip mean / p95 / max error [mm] of errors (T, M) [m], as text."""
    lines = [f"  {'fingertip':<14} {'mean mm':>9} {'p95 mm':>9} {'max mm':>9}"]
    for name, e in zip(tips, err.T * 1e3, strict=True):
        lines.append(f"  {name:<14} {e.mean():9.3f} {np.percentile(e, 95):9.3f} {e.max():9.3f}")
    all_mm = err * 1e3
    lines.append(
        f"  {'all':<14} {all_mm.mean():9.3f} {np.percentile(all_mm, 95):9.3f} {all_mm.max():9.3f}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    from maniptrans_description.errors import DescriptionError
    from maniptrans_description.inspire import HandCalibration
    from maniptrans_retarget.hand_description import load_hand
    from maniptrans_retarget.hand_retarget import HandRetargeter
    from maniptrans_sim.task_file import TaskFileError, load_task

    rollout: int | str | None = args.rollout
    if isinstance(rollout, str) and rollout.isdigit():
        rollout = int(rollout)
    try:
        task = load_task(args.task, rollout)
        weights = tuple(args.tip_weights) if args.tip_weights else RetargetConfig().tip_weights
        config = RetargetConfig(smooth_weight=args.smooth_weight, tip_weights=weights)
        sides = task.sides if args.side == "both" else (args.side,)
        missing = [s for s in sides if s not in task.hands]
        if missing:
            raise HandRetargetError(
                f"{args.task}: no {missing} hand in the task, has {task.sides}"
            )
        out: dict[str, np.ndarray] = {"dt_s": np.array(task.dt)}
        print(f"{task.name} ({task.rollout}): {task.num_frames} frames at {1 / task.dt:.0f} Hz")
        for side in sides:
            kin = load_hand(side)
            retargeter = HandRetargeter(kin, config)
            q = np.asarray(task.hands[side].q, dtype=float)
            result: TrajectoryResult = retargeter.trajectory(q)
            err = retargeter.tip_errors(q, result.actuators)
            calib = HandCalibration.load(args.calibration, side)
            print(
                f"{side} hand: {result.iterations} Newton iterations, "
                f"{'converged' if result.converged else 'NOT converged'}, cost {result.cost:.4g}"
            )
            print(error_table(kin.tip_frames, err))
            out[f"{side}_actuators"] = result.actuators
            out[f"{side}_command"] = calib.radians_to_command(result.actuators)
            out[f"{side}_tip_error"] = err
            out[f"{side}_actuator_names"] = np.array(kin.actuator_names)
    except (HandRetargetError, TaskFileError, DescriptionError, OSError) as exc:
        print(f"maniptrans-retarget-hand: {exc}", file=sys.stderr)
        return 2
    if args.out is not None:
        np.savez(args.out, **out)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
