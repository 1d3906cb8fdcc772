"""Pure helpers for the nodes: command-to-joint mapping and the diagnostics summary."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np

OK, WARN, ERROR = 0, 1, 2  # diagnostic_msgs/DiagnosticStatus levels


def order_command(
    names: Sequence[str], positions: Sequence[float], expected: Sequence[str]
) -> tuple[np.ndarray | None, str]:
    """Positions of a JointState command in the ``expected`` joint order.

    Unnamed positions are taken in order when there are exactly as many as expected. Returns
    (positions [rad], "") or (None, reason) with reason ``names`` or ``shape``.
    """
    if not names:
        if len(positions) != len(expected):
            return None, "shape"
        return np.asarray(positions, dtype=float), ""
    if len(names) != len(positions):
        return None, "shape"
    index = {name: i for i, name in enumerate(names)}
    if any(name not in index for name in expected):
        return None, "names"
    return np.array([positions[index[name]] for name in expected], dtype=float), ""


def summarize(status: Mapping[str, object]) -> tuple[int, str]:
    """Level and one-line message of a driver's ``status()``."""
    if not status.get("connected"):
        return ERROR, f"disconnected: {status.get('last_error') or 'connecting'}"
    mode = status.get("mode")
    if mode == "latched":
        return ERROR, f"latched ({', '.join(status.get('latches', ()))}): not streaming"
    if mode == "fault":
        return ERROR, f"fault: {status.get('fault')}"
    device_errors = status.get("controller_errors") or status.get("hand_errors")
    if device_errors:
        return WARN, f"{mode}; device reports errors"
    if mode == "streaming":
        return OK, "streaming"
    return WARN, str(mode).replace("_", " ")


def flatten(values: Mapping[str, object]) -> list[tuple[str, str]]:
    """Key/value strings for a DiagnosticStatus (nested values as compact JSON)."""
    out = []
    for key, value in values.items():
        if isinstance(value, str):
            text = value
        elif isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, float):
            text = f"{value:.6g}"
        elif isinstance(value, int):
            text = str(value)
        else:
            text = json.dumps(value, separators=(",", ":"), default=str)
        out.append((key, text))
    return out
