"""Record type and helpers shared by every benchmark module."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Record = dict[str, Any]


@dataclass(frozen=True)
class BenchArgs:
    """Options every benchmark receives."""

    quick: bool = False  # smaller inputs, for a smoke run (tests call benchmarks this way)
    seed: int = 0  # seed of every random input


def record(
    name: str,
    unit: str,
    ours: float,
    anchor: str,
    anchor_value: float,
    *,
    lower_is_better: bool = True,
    **extra: Any,
) -> Record:
    """One comparison. ``ratio`` > 1 means ours is better (faster, smaller error, higher rate).

    Args:
        name: what is measured, e.g. ``"hand_retarget.trajectory.ms_per_frame"``.
        unit: unit of ``ours`` and ``anchor_value``, e.g. ``"ms/frame"``.
        ours: our value.
        anchor: what we compare against (a library, raw MuJoCo, a line-rate limit).
        anchor_value: the anchor's value, measured in the same run.
        lower_is_better: True for times and errors, False for rates and throughputs.
        extra: any further fields to keep in the JSON record.
    """
    if lower_is_better:
        ratio = anchor_value / ours if ours > 0 else float("inf")
    else:
        ratio = ours / anchor_value if anchor_value > 0 else float("inf")
    return {
        "name": name,
        "unit": unit,
        "ours": float(ours),
        "anchor": anchor,
        "anchor_value": float(anchor_value),
        "ratio": float(ratio),
        "lower_is_better": lower_is_better,
        **extra,
    }


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best wall time in seconds of ``repeat`` calls of ``fn`` (and the last result)."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result
