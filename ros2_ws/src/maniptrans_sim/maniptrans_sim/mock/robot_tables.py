"""The robot numbers the emulators need, taken from `maniptrans_description` when it is installed.

Until the description package lands, a minimal fallback from the fact sheets keeps the emulators
usable (RM75 limits: ``facts/realman_rm75.md`` §5, DOC column; Inspire actuator ranges:
``facts/inspire_protocol.md``). Every consumer in the mock goes through this module, so switching
to the description API is one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")
ARM_DOF = 7
HAND_DOF = 6
HAND_ACTUATORS = ("little", "ring", "middle", "index", "thumb_bend", "thumb_rotation")

try:  # pragma: no cover - depends on which packages are installed
    from maniptrans_description import inspire as _inspire
    from maniptrans_description import rm75 as _rm75
except ImportError:  # pragma: no cover
    _inspire = None
    _rm75 = None


@dataclass(frozen=True)
class JointLimits:
    """Position and velocity limits of a group of joints."""

    lower: np.ndarray  # (n,) [rad]
    upper: np.ndarray  # (n,) [rad]
    velocity: np.ndarray  # (n,) [rad/s]


def check_side(side: str) -> Side:
    """Return ``side`` if it is "left" or "right", else raise ValueError naming the choices."""
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, got {side!r}")
    return side  # type: ignore[return-value]


def arm_joint_names(side: Side) -> list[str]:
    """``<side>_arm_joint_1..7``."""
    if _rm75 is not None and hasattr(_rm75, "joint_names"):
        return list(_rm75.joint_names(side))
    return [f"{check_side(side)}_arm_joint_{i}" for i in range(1, ARM_DOF + 1)]


def arm_limits(variant: str = "rm75_b") -> JointLimits:
    """RM75 position limits [rad] and joint speed limits [rad/s]."""
    if _rm75 is not None and hasattr(_rm75, "joint_limits"):
        got = _rm75.joint_limits(variant)
        lower, upper, vel = _unpack_limits(got)
        return JointLimits(lower, upper, vel)
    deg = np.array([178.0, 130.0, 178.0, 135.0, 178.0, 128.0, 360.0])
    lim = np.deg2rad(deg)
    return JointLimits(-lim, lim, np.full(ARM_DOF, np.deg2rad(180.0)))


def hand_actuator_names(side: Side) -> list[str]:
    """``<side>_hand_{little,ring,middle,index,thumb_bend,thumb_rotation}``."""
    if _inspire is not None and hasattr(_inspire, "actuator_names"):
        return list(_inspire.actuator_names(side))
    return [f"{check_side(side)}_hand_{n}" for n in HAND_ACTUATORS]


def hand_actuator_limits(side: Side) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper angle of each of the 6 actuators [rad] (fact-sheet order)."""
    if _inspire is not None and hasattr(_inspire, "actuator_limits"):
        lo, hi = _inspire.actuator_limits(side)
        return np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    check_side(side)
    lo = np.array([0.0, 0.0, 0.0, 0.0, 0.0, -0.1])
    hi = np.array([1.7, 1.7, 1.7, 1.7, 0.5, 1.3])
    return lo, hi


def _unpack_limits(got: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Accept the description's limits as an object with fields or as a (lower, upper, vel)."""
    if all(hasattr(got, k) for k in ("lower", "upper", "velocity")):
        return (
            np.asarray(got.lower, float),  # type: ignore[attr-defined]
            np.asarray(got.upper, float),  # type: ignore[attr-defined]
            np.asarray(got.velocity, float),  # type: ignore[attr-defined]
        )
    seq = list(got)  # type: ignore[call-overload]
    if len(seq) == 3:
        return tuple(np.asarray(x, float) for x in seq)  # type: ignore[return-value]
    if len(seq) == 2 and len(seq[0]) == 2:  # ((lower, upper), velocity)
        return np.asarray(seq[0][0], float), np.asarray(seq[0][1], float), np.asarray(seq[1])
    raise ValueError(f"rm75.joint_limits returned an unexpected shape: {type(got).__name__}")


def mdh_table(variant: str = "rm75_b") -> np.ndarray:
    """RM75 modified-DH rows ``[a_{i-1} m, alpha_{i-1} rad, d_i m, offset_i rad]``, (7, 4)."""
    if _rm75 is not None and hasattr(_rm75, "mdh_table"):
        return _mdh_rows(_rm75.mdh_table(variant))
    d7 = {"rm75_b": 0.144, "rm75_6f": 0.1725}.get(variant)
    if d7 is None:
        raise ValueError(f"arm variant must be 'rm75_b' or 'rm75_6f', got {variant!r}")
    alpha = np.deg2rad([0.0, -90.0, 90.0, -90.0, 90.0, -90.0, 90.0])
    d = np.array([0.2405, 0.0, 0.256, 0.0, 0.21, 0.0, d7])
    return np.column_stack([np.zeros(ARM_DOF), alpha, d, np.zeros(ARM_DOF)])


def _mdh_rows(table: object) -> np.ndarray:
    """Accept the description's MDH table as an (7, 4) array or as rows with named fields."""
    try:
        arr = np.asarray(table, dtype=float)
        if arr.shape == (ARM_DOF, 4):
            return arr
    except (TypeError, ValueError):
        pass
    rows = []
    for r in table:  # type: ignore[attr-defined]
        rows.append([float(getattr(r, k)) for k in ("a", "alpha", "d", "offset")])
    return np.asarray(rows)


def flange_pose(q: np.ndarray, mdh: np.ndarray) -> np.ndarray:
    """Flange pose in the arm base frame by modified DH, (4, 4); ``q`` is (7,) [rad]."""
    T = np.eye(4)
    for (a, alpha, d, offset), qi in zip(mdh, q, strict=True):
        ca, sa = np.cos(alpha), np.sin(alpha)
        ct, st = np.cos(qi + offset), np.sin(qi + offset)
        # RotX(alpha) . TransX(a) . RotZ(theta) . TransZ(d)
        A = np.array(
            [
                [ct, -st, 0.0, a],
                [st * ca, ct * ca, -sa, -d * sa],
                [st * sa, ct * sa, ca, d * ca],
                [0.0, 0.0, 0.0, 1.0],
            ]
        )
        T = T @ A
    return T


class HandCommandMap:
    """Actuator angle [rad] <-> Inspire command 0..1000, per the hand calibration.

    The calibration is linear per actuator (angle at command 0 and at command 1000). It comes from
    the description's `HandCalibration` (its YAML, or ``calibration_path``) when installed;
    otherwise from the fact-sheet default: 1000 = open (lower limit), 0 = closed (upper limit).
    """

    def __init__(self, side: Side, calibration_path: str | None = None) -> None:
        self.side = check_side(side)
        try:  # pragma: no cover - depends on which packages are installed
            from maniptrans_description.hand_calibration import HandCalibration

            cal = HandCalibration.load(calibration_path, side)
            q0 = np.asarray(cal.command_to_radians(np.zeros(HAND_DOF)), float)
            q1000 = np.asarray(cal.command_to_radians(np.full(HAND_DOF, 1000.0)), float)
        except ImportError:  # pragma: no cover
            lo, hi = hand_actuator_limits(side)
            q0, q1000 = hi, lo
        self._q0 = q0  # angle at command 0 [rad], (6,)
        self._per_count = (q1000 - q0) / 1000.0  # [rad per command unit], (6,)

    def to_command(self, q: np.ndarray) -> np.ndarray:
        """Angles (6,) [rad] -> commands (6,) as floats in [0, 1000] (not rounded)."""
        cmd = (np.asarray(q, float) - self._q0) / self._per_count
        return np.minimum(np.maximum(cmd, 0.0), 1000.0)

    def to_radians(self, cmd: np.ndarray) -> np.ndarray:
        """Commands (6,) in [0, 1000] -> angles (6,) [rad]."""
        return self._q0 + self._per_count * np.asarray(cmd, float)
