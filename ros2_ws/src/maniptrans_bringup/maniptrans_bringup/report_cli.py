"""``maniptrans-report <bag>``: report.json, PNG plots and a table for a recorded replay.

maniptrans-report replay_20250101_120000 [--out DIR] [--calibration rig.yaml]
                  [--video] [--video-format gif|mp4]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from maniptrans_bringup.errors import BringupError


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="maniptrans-report", description=__doc__.splitlines()[0])
    p.add_argument("bag", help="bag folder of a replay")
    p.add_argument("--out", default=None, help="report folder (default: <bag>_report)")
    p.add_argument("--calibration", default=None, help="rig calibration YAML of the replay")
    p.add_argument("--video", action="store_true", help="render the twin's replay offscreen")
    p.add_argument("--video-format", choices=("gif", "mp4"), default="gif")
    a = p.parse_args(argv)
    from maniptrans_bringup.report import build_report, format_table, load_replay
    from maniptrans_bringup.report_plots import write_plots

    bag = Path(a.bag)
    out = Path(a.out) if a.out else bag.with_name(bag.name + "_report")
    try:
        replay = load_replay(bag)
        if not replay.series:
            raise BringupError(f"{bag}: no JointState or PoseStamped messages")
        rep = build_report(replay, a.calibration)
        series = rep.pop("_series")
        out.mkdir(parents=True, exist_ok=True)
        rep["plots"] = [str(x) for x in write_plots(series, out)]
        if a.video:
            from maniptrans_bringup.report_video import render_video

            rep["video"] = str(render_video(replay, out / f"replay.{a.video_format}"))
    except BringupError as exc:
        print(f"maniptrans-report: {exc}", file=sys.stderr)
        return 2
    (out / "report.json").write_text(json.dumps(rep, indent=2) + "\n")
    print(format_table(rep))
    print(
        f"report: {out / 'report.json'} ({len(rep['plots'])} plots"
        + (f", video {rep['video']})" if "video" in rep else ")")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
