"""Pre-flight reach check through ``maniptrans-check-reach`` (maniptrans_retarget's CLI).

The CLI is the stable interface: it takes a transferred task and the rig calibration, prints
per-side reachability and exits non-zero when a wrist frame cannot be reached. Pure module.
"""

from __future__ import annotations

import shutil
import subprocess

CHECK_REACH = "maniptrans-check-reach"


def check_task_reachable(
    task: str, calibration: str | None = None, rollout: str = "", timeout: float = 300.0
) -> tuple[list[str], list[str]]:
    """Run the reach check on ``task``; returns (problems, notes). No CLI -> a note only."""
    exe = shutil.which(CHECK_REACH)
    if exe is None:
        return [], [f"reach check skipped: {CHECK_REACH} is not installed"]
    argv = [exe, task]
    if calibration:
        argv += ["--calibration", calibration]
    if rollout:
        argv += ["--rollout", rollout]
    try:
        res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return [f"{CHECK_REACH} did not finish within {timeout:.0f} s"], []
    lines = [ln for ln in (res.stdout + res.stderr).splitlines() if ln.strip()]
    if res.returncode != 0:
        tail = "; ".join(lines[-5:]) or "(no output)"
        return [f"{CHECK_REACH} exited with code {res.returncode}: {tail}"], lines
    return [], lines


__all__ = ["CHECK_REACH", "check_task_reachable"]
