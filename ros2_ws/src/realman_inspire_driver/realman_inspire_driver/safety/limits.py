"""Joint limits the safety gate enforces, taken from the robot description package."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from maniptrans_description import inspire, rm75
from realman_inspire_driver.errors import ConfigError


@dataclass(frozen=True)
class JointLimits:
    """Per-joint limits of one device, in its joint order.

    Attributes:
        names: joint (or actuator) names, e.g. ``left_arm_joint_1``.
        lower, upper: position limits [rad].
        velocity: velocity limits [rad/s] (``inf`` where the device publishes none).
    """

    names: tuple[str, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    velocity: tuple[float, ...]

    def __post_init__(self) -> None:
        n = len(self.names)
        if not (len(self.lower) == len(self.upper) == len(self.velocity) == n) or n == 0:
            raise ConfigError(
                f"limits need one lower, upper and velocity value per joint ({n} names), got "
                f"{len(self.lower)}, {len(self.upper)}, {len(self.velocity)}"
            )
        for name, lo, hi, v in zip(self.names, self.lower, self.upper, self.velocity, strict=True):
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise ConfigError(f"{name}: limits [{lo}, {hi}] rad must be finite with lo < hi")
            if not v > 0:
                raise ConfigError(f"{name}: velocity limit must be > 0 rad/s, got {v}")

    @property
    def n(self) -> int:
        """Number of joints."""
        return len(self.names)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(lower, upper, velocity) as float arrays of shape (n,)."""
        return np.array(self.lower), np.array(self.upper), np.array(self.velocity)


def arm_limits(side: str, variant: str = "rm75_b") -> JointLimits:
    """The RM75 joint limits of ``maniptrans_description.rm75`` for the arm on ``side``."""
    lim = rm75.joint_limits(variant)
    return JointLimits(
        tuple(rm75.joint_names(side)),
        tuple(float(x) for x in lim.lower),
        tuple(float(x) for x in lim.upper),
        tuple(float(x) for x in lim.velocity),
    )


def hand_limits(side: str) -> JointLimits:
    """The Inspire actuator ranges of ``maniptrans_description.inspire`` (no velocity limit is
    published for the actuators: the gate's own velocity cap applies)."""
    lower, upper = inspire.actuator_limits(side)
    names = tuple(inspire.actuator_names(side))
    return JointLimits(
        names,
        tuple(float(x) for x in lower),
        tuple(float(x) for x in upper),
        (math.inf,) * len(names),
    )
