"""The robot numbers the emulators need, all from `maniptrans_description` (one source of truth).

This module only adapts the description's API to what the mock uses (numpy arrays, a linear
angle <-> command map, the flange pose by modified DH); it holds no tables of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from maniptrans_description import inspire as _inspire
from maniptrans_description import rm75 as _rm75
from maniptrans_description.hand_calibration import HandCalibration

Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")
ARM_DOF = 7
HAND_DOF = 6


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
    return list(_rm75.joint_names(check_side(side)))


def arm_limits(variant: str = "rm75_b") -> JointLimits:
    """RM75 position limits [rad] and joint speed limits [rad/s]."""
    lim = _rm75.joint_limits(variant)  # type: ignore[arg-type]
    return JointLimits(
        np.asarray(lim.lower, float), np.asarray(lim.upper, float), np.asarray(lim.velocity, float)
    )


def hand_actuator_names(side: Side) -> list[str]:
    """``<side>_hand_{little,ring,middle,index,thumb_bend,thumb_rotation}``."""
    return list(_inspire.actuator_names(check_side(side)))


def hand_actuator_limits(side: Side) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper angle of each of the 6 actuators [rad] (fact-sheet order)."""
    lo, hi = _inspire.actuator_limits(check_side(side))
    return np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)


def mdh_table(variant: str = "rm75_b") -> np.ndarray:
    """RM75 modified-DH rows ``[a_{i-1} m, alpha_{i-1} rad, d_i m, offset_i rad]``, (7, 4)."""
    rows = _rm75.mdh_table(variant)  # type: ignore[arg-type]
    return np.array([[r.a, r.alpha, r.d, r.offset] for r in rows], dtype=float)


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

    The description's `HandCalibration` (its YAML, or ``calibration_path``) is linear per
    actuator, so it is sampled once at commands 0 and 1000 and applied as an affine map.
    """

    def __init__(self, side: Side, calibration_path: str | None = None) -> None:
        self.side = check_side(side)
        cal = HandCalibration.load(calibration_path, side)
        q0 = np.asarray(cal.command_to_radians(np.zeros(HAND_DOF)), float)
        q1000 = np.asarray(cal.command_to_radians(np.full(HAND_DOF, 1000.0)), float)
        self._q0 = q0  # angle at command 0 [rad], (6,)
        self._per_count = (q1000 - q0) / 1000.0  # [rad per command unit], (6,)

    def to_command(self, q: np.ndarray) -> np.ndarray:
        """Angles (6,) [rad] -> commands (6,) as floats in [0, 1000] (not rounded)."""
        cmd = (np.asarray(q, float) - self._q0) / self._per_count
        return np.minimum(np.maximum(cmd, 0.0), 1000.0)

    def to_radians(self, cmd: np.ndarray) -> np.ndarray:
        """Commands (6,) in [0, 1000] -> angles (6,) [rad]."""
        return self._q0 + self._per_count * np.asarray(cmd, float)
