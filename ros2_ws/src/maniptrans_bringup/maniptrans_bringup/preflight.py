"""Pre-flight: refuse a task before anything moves if its file is bad or a wrist is unreachable.

Pure module. The file is validated by the player's own loader (same checks as at play time);
reachability comes from ``maniptrans_retarget``'s reach check on the rig calibration.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PreflightResult:
    """Outcome of the pre-flight checks; ``problems`` empty means go."""

    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        return [*self.notes, *(f"REFUSED: {p}" for p in self.problems)]


def run_preflight(task: str, calibration: str = "", rollout: str = "") -> PreflightResult:
    """Validate ``task`` and check that both wrists stay reachable on the rig (before motion).

    Args:
        task: sequence folder, ``rollouts.hdf5`` or a rosbag2 of ``/sim/**`` topics.
        calibration: rig calibration YAML ("" = the description's default).
        rollout: rollout index or name ("" = best).
    """
    from maniptrans_sim.player_source import PlayerSourceError, load_source

    notes: list[str] = []
    try:
        source = load_source(task, rollout=rollout or None)
    except PlayerSourceError as exc:
        return PreflightResult(problems=(str(exc),))
    notes.append(f"task {task}: {source.describe()}")
    if source.kind != "task":
        notes.append("reach check skipped for bag input (export the task to check it)")
        return PreflightResult(notes=tuple(notes))
    from maniptrans_bringup.reach import check_task_reachable

    problems, more = check_task_reachable(task, calibration or None, rollout)
    return PreflightResult(problems=tuple(problems), notes=(*notes, *more))


__all__ = ["PreflightResult", "run_preflight"]
