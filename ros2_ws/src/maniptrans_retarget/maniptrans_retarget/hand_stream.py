"""Checks and bookkeeping of the hand_retarget node's stream (pure: no rclpy).

A sim-hand JointState is accepted only if it names each of the side's 12 sim joints exactly once
(any order) with a finite position for each; anything else is rejected with a message saying
what was expected and what was found, and is never forwarded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from maniptrans_retarget.hand_errors import HandRetargetError
from maniptrans_retarget.hand_retarget import HandRetargeter, RetargetConfig, StreamingRetargeter


def sim_positions(
    names: Sequence[str], positions: Sequence[float], expected: Sequence[str]
) -> np.ndarray:
    """Positions (NQ,) [rad] in ``expected`` order from a JointState's names and positions.

    Raises HandRetargetError on missing, unknown or repeated names, a length mismatch or a
    non-finite value.
    """
    names = list(names)
    if len(positions) != len(names):
        raise HandRetargetError(
            f"joint_states: expected one position per name ({len(names)} names), "
            f"found {len(positions)} positions"
        )
    index = {n: i for i, n in enumerate(names)}
    missing = [n for n in expected if n not in index]
    unknown = sorted(set(names) - set(expected))
    if missing or unknown or len(index) != len(names):
        raise HandRetargetError(
            f"joint_states: expected the {len(expected)} joints {list(expected)} once each, "
            f"found {names} (missing {missing}, unknown {unknown})"
        )
    q = np.array([float(positions[index[n]]) for n in expected])
    if not np.isfinite(q).all():
        bad = [n for n, v in zip(expected, q, strict=True) if not math.isfinite(v)]
        raise HandRetargetError(f"joint_states: expected finite positions, found {bad} not finite")
    return q


@dataclass
class HandStream:
    """One side's streaming retargeter plus counters for diagnostics."""

    retargeter: HandRetargeter
    accepted: int = 0
    rejected: int = 0
    last_error: str = ""
    _stream: StreamingRetargeter = field(init=False)

    def __post_init__(self) -> None:
        self._stream = self.retargeter.streaming()

    @property
    def joint_names(self) -> tuple[str, ...]:
        return self.retargeter.kin.joint_names

    @property
    def actuator_names(self) -> tuple[str, ...]:
        return self.retargeter.kin.actuator_names

    def reconfigure(self, config: RetargetConfig) -> None:
        """New weights; the stream continues from its previous output."""
        previous = self._stream.previous
        self.retargeter = HandRetargeter(self.retargeter.kin, config)
        self._stream = self.retargeter.streaming()
        if previous is not None:
            self._stream.reset(previous)

    def process(self, names: Sequence[str], positions: Sequence[float]) -> np.ndarray:
        """Actuator positions (NA,) [rad] for one message; raises HandRetargetError if rejected."""
        try:
            q = sim_positions(names, positions, self.joint_names)
        except HandRetargetError as exc:
            self.rejected += 1
            self.last_error = str(exc)
            raise
        x = self._stream.step(q)
        self.accepted += 1
        return x
