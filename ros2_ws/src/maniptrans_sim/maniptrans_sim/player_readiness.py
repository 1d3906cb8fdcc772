"""Which drivers are ready (soft start done), from their ``/diagnostics`` ``ready`` key.

Pure module. A source is a driver node name (e.g. ``left_inspire_driver``); a diagnostic status
belongs to it when its ``name`` contains the source or its ``hardware_id`` equals it. A source
is ready when its latest status said ``ready: true`` no longer than ``stale_s`` ago (a driver
that stopped reporting is not ready).
"""

from __future__ import annotations

from dataclasses import dataclass, field

_TRUE = {"true", "1", "yes", "ready"}


@dataclass
class ReadinessTracker:
    """Latest readiness per source.

    Args:
        sources: driver names to wait for; none means always ready.
        stale_s: a report older than this [s] counts as not ready.
    """

    sources: list[str]
    stale_s: float = 5.0
    _latest: dict[str, tuple[bool, float]] = field(default_factory=dict)

    def update(self, name: str, hardware_id: str, ready: str | None, now: float) -> None:
        """Record one diagnostic status (``ready`` = the value of its ``ready`` key, if any)."""
        if ready is None:
            return
        value = ready.strip().lower() in _TRUE
        for src in self.sources:
            if src in name or src == hardware_id:
                self._latest[src] = (value, now)

    def is_ready(self, source: str, now: float) -> bool:
        entry = self._latest.get(source)
        return entry is not None and entry[0] and now - entry[1] <= self.stale_s

    def not_ready(self, now: float) -> list[str]:
        return [s for s in self.sources if not self.is_ready(s, now)]

    def all_ready(self, now: float) -> bool:
        return not self.not_ready(now)


__all__ = ["ReadinessTracker"]
