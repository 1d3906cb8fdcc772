"""Stable number formatting for generated files (same tables -> byte-identical files)."""

from __future__ import annotations

from collections.abc import Iterable

SIGNIFICANT = 12  # digits: far below every tolerance (1e-12 m), far above table precision


def num(value: float) -> str:
    """``value`` with 12 significant digits, no trailing zeros, and never "-0"."""
    text = format(float(value), f".{SIGNIFICANT}g")
    return "0" if text in ("-0", "0") else text


def nums(values: Iterable[float]) -> str:
    """Space-separated ``num`` of each value."""
    return " ".join(num(v) for v in values)
