"""Inspire actuator calibration: driven-joint angle [rad] <-> hardware command 0..1000.

Per actuator, ``angle_at_0`` is the driven joint's angle at command 0 and ``angle_at_1000`` its
angle at command 1000, linear in between:

    cmd = 1000 · (q − angle_at_0) / (angle_at_1000 − angle_at_0)

The default (``shared/facts/inspire_protocol.md``) is 1000 = open: angle_at_0 = upper limit,
angle_at_1000 = lower limit. Swapping the two reverses an actuator (sources disagree on the thumb
rotation). The YAML file (``config/hand_calibration.yaml``) holds one block per side::

    right:
      little: {angle_at_0: 1.7, angle_at_1000: 0.0}
      ...
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import inspire_data as data
from .config_io import child, finite_float, load_mapping
from .errors import DescriptionError
from .sides import Side, check_side

COMMAND_MAX = 1000
MIN_SPAN = 0.01  # [rad] smallest accepted |angle_at_1000 − angle_at_0|
ACTUATOR_KEYS = tuple(key for key, _ in data.ACTUATORS)


@dataclass(frozen=True)
class ActuatorCalibration:
    """Angles [rad] of the driven joint at command 0 and at command 1000."""

    angle_at_0: float
    angle_at_1000: float


@dataclass(frozen=True)
class HandCalibration:
    """The six actuators' calibrations (actuator order: little, ring, middle, index, thumb bend,
    thumb rotation) and the conversion between radians and the 0..1000 command."""

    side: Side
    actuators: tuple[ActuatorCalibration, ...]

    def __post_init__(self) -> None:
        check_side(self.side)
        if len(self.actuators) != len(ACTUATOR_KEYS):
            raise DescriptionError(
                f"HandCalibration needs {len(ACTUATOR_KEYS)} actuators {ACTUATOR_KEYS}, "
                f"found {len(self.actuators)}"
            )
        for key, act in zip(ACTUATOR_KEYS, self.actuators, strict=True):
            span = act.angle_at_1000 - act.angle_at_0
            if not np.isfinite(span) or abs(span) < MIN_SPAN:
                raise DescriptionError(
                    f"{self.side} {key}: angle_at_0 ({act.angle_at_0}) and angle_at_1000 "
                    f"({act.angle_at_1000}) must be finite and differ by at least {MIN_SPAN} rad"
                )

    @classmethod
    def default(cls, side: Side) -> HandCalibration:
        """1000 = open (lower joint limit), 0 = closed (upper limit) on every actuator."""
        limits = {row.name: (row.lower, row.upper) for row in data.RIGHT_JOINTS}
        acts = tuple(ActuatorCalibration(limits[j][1], limits[j][0]) for _, j in data.ACTUATORS)
        return cls(check_side(side), acts)

    @classmethod
    def load(cls, path: str | Path | None, side: Side) -> HandCalibration:
        """The ``side`` block of a calibration YAML (None: the package's hand_calibration.yaml)."""
        side = check_side(side)
        if path is None:
            from .paths import config_path

            path = config_path("hand_calibration.yaml")
        doc = load_mapping(Path(path))
        block = child(doc, side, str(path))
        where = f"{path}: {side}"
        unknown = set(block) - set(ACTUATOR_KEYS) if isinstance(block, dict) else set()
        if unknown:
            raise DescriptionError(
                f"{where}: unknown actuators {sorted(unknown)}; expected {list(ACTUATOR_KEYS)}"
            )
        acts = []
        for key in ACTUATOR_KEYS:
            node = child(block, key, where)
            acts.append(
                ActuatorCalibration(
                    finite_float(
                        child(node, "angle_at_0", f"{where}.{key}"), f"{where}.{key}.angle_at_0"
                    ),
                    finite_float(
                        child(node, "angle_at_1000", f"{where}.{key}"),
                        f"{where}.{key}.angle_at_1000",
                    ),
                )
            )
        try:
            return cls(side, tuple(acts))
        except DescriptionError as exc:
            raise DescriptionError(f"{path}: {exc}") from exc

    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        a0 = np.array([a.angle_at_0 for a in self.actuators])
        a1000 = np.array([a.angle_at_1000 for a in self.actuators])
        return a0, a1000

    def radians_to_command(self, q_act: Sequence[float] | np.ndarray) -> np.ndarray:
        """Commands (..., 6) as int64 in 0..1000 from driven-joint angles (..., 6) [rad].

        Angles beyond the calibrated range are clipped to 0 or 1000 (the hardware accepts
        nothing else); non-finite angles raise DescriptionError.
        """
        q = _check_last_dim(q_act, "actuator angles [rad]")
        if not np.all(np.isfinite(q)):
            raise DescriptionError(f"actuator angles must be finite, found {q!r}")
        a0, a1000 = self._arrays()
        cmd = COMMAND_MAX * (q - a0) / (a1000 - a0)
        return np.clip(np.rint(cmd), 0, COMMAND_MAX).astype(np.int64)

    def command_to_radians(self, cmd: Sequence[float] | np.ndarray) -> np.ndarray:
        """Driven-joint angles (..., 6) [rad] from commands or readings (..., 6) in 0..1000."""
        c = _check_last_dim(cmd, "commands (0..1000)")
        if not np.all(np.isfinite(c)) or np.any(c < 0) or np.any(c > COMMAND_MAX):
            raise DescriptionError(f"Inspire commands must lie in 0..{COMMAND_MAX}, found {c!r}")
        a0, a1000 = self._arrays()
        return a0 + (a1000 - a0) * c / COMMAND_MAX


def _check_last_dim(values: Sequence[float] | np.ndarray, what: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 0 or arr.shape[-1] != len(ACTUATOR_KEYS):
        raise DescriptionError(f"{what} must have shape (..., 6), found shape {arr.shape}")
    return arr
