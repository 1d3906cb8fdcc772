"""Pre-flight reach check through ``maniptrans-check-reach`` (maniptrans_retarget's CLI).

The CLI is the stable interface: it takes a transferred task and the rig calibration, prints
per-side reachability and writes per-frame results (``--json``). The replay is refused when a
wrist frame is unreachable or the CLI reports any other problem (arm distance, ...). Frames the
IK cannot track at full speed ("too fast for the velocity limit") are reported as warnings: the
drivers rate-limit every set-point, and ``rate:=`` below 1 slows the task down. Pure module.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

CHECK_REACH = "maniptrans-check-reach"


def _ranges(frames: list[int]) -> str:
    out, start = [], None
    for i, f in enumerate(frames):
        if start is None:
            start = f
        if i + 1 == len(frames) or frames[i + 1] != f + 1:
            out.append(f"{start}" if start == f else f"{start}-{f}")
            start = None
    return ", ".join(out[:10]) + (" ..." if len(out) > 10 else "")


def check_task_reachable(
    task: str, calibration: str | None = None, rollout: str = "", timeout: float = 300.0
) -> tuple[list[str], list[str]]:
    """Run the reach check on ``task``; returns (problems, notes). No CLI -> a note only."""
    exe = shutil.which(CHECK_REACH)
    if exe is None:
        return [], [f"reach check skipped: {CHECK_REACH} is not installed"]
    with tempfile.TemporaryDirectory() as tmp:
        out_json = Path(tmp) / "reach.json"
        argv = [exe, task, "--json", str(out_json)]
        if calibration:
            argv += ["--calibration", calibration]
        if rollout:
            argv += ["--rollout", rollout]
        try:
            res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return [f"{CHECK_REACH} did not finish within {timeout:.0f} s"], []
        lines = [ln for ln in (res.stdout + res.stderr).splitlines() if ln.strip()]
        data = json.loads(out_json.read_text()) if out_json.is_file() else None
    if data is None:
        if res.returncode == 0:
            return [], lines
        tail = "; ".join(lines[-5:]) or "(no output)"
        return [f"{CHECK_REACH} exited with code {res.returncode}: {tail}"], lines
    problems: list[str] = []
    frames = list(data.get("frames", []))
    for side, d in sorted(data.get("sides", {}).items()):
        bad = [
            frames[i] if i < len(frames) else i for i, ok in enumerate(d["reachable"]) if not ok
        ]
        if bad:
            problems.append(f"{side} wrist unreachable in {len(bad)} frames: {_ranges(bad)}")
    notes = []
    for ln in lines:
        text = ln.strip()
        if text.startswith("PROBLEM") and "too fast" in text:
            notes.append(f"WARNING: {text.split(':', 1)[1].strip()} (the drivers rate-limit)")
        elif text.startswith("PROBLEM") and "unreachable" not in text:
            problems.append(text.split(":", 1)[1].strip())
        else:
            notes.append(text)
    return problems, notes


__all__ = ["CHECK_REACH", "check_task_reachable"]
