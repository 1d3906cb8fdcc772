"""Fault injection: what can go wrong on a link or in a device, and the time-stamped fault log.

A fault is written ``<side>_<device>:<kind>[=<value>][@<index>]``, for example:

==================================  ===========================================================
``left_arm:drop=0.2``               drop 20 % of the replies (a request goes unanswered)
``right_hand:corrupt=0.1``          corrupt 10 % of the replies (one byte altered)
``left_arm:latency=0.05``           answer every request 50 ms (wall time) late
``right_arm:disconnect_after=10``   close the link after the next 10 requests (once)
``left_arm:error=0x100D``           latch an arm system error (here: collision) and stop
``left_hand:error=stall@3``         latch a hand error bit on actuator 3 (``stall``,
                                    ``over_temperature``, ``over_current``, ``motor_fault``,
                                    ``communication``); without ``@``: every actuator
``right_arm:freeze=3``              joint 3 (0-based) stops following its target
``left_hand:clear``                 remove every link fault and release frozen joints
==================================  ===========================================================

Every fault is recorded in a `FaultLog` when it is armed and every time it acts, with wall and
simulated time stamps, so a test can line an effect up with its cause.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from maniptrans_sim.mock.errors import MockRigError

DEVICES = ("arm", "hand")
LINK_KINDS = ("drop", "corrupt", "latency", "disconnect_after")
DEVICE_KINDS = ("error", "freeze", "clear")
HAND_ERROR_BITS = {
    "stall": 0,
    "over_temperature": 1,
    "over_current": 2,
    "motor_fault": 3,
    "communication": 4,
}


@dataclass(frozen=True)
class FaultSpec:
    """One parsed fault (see the module docstring for the text form)."""

    side: str  # "left" | "right"
    device: str  # "arm" | "hand"
    kind: str  # one of LINK_KINDS + DEVICE_KINDS
    value: str = ""  # raw value text (fraction, seconds, count, error code or bit name)
    index: int | None = None  # joint / actuator index (0-based), if the fault has one

    @property
    def target(self) -> str:
        """``<side>_<device>``."""
        return f"{self.side}_{self.device}"

    def __str__(self) -> str:
        text = f"{self.target}:{self.kind}"
        text += f"={self.value}" if self.value else ""
        return text + (f"@{self.index}" if self.index is not None else "")

    def number(self) -> float:
        """The value as a number (error codes may be hex: ``0x100D``)."""
        try:
            return (
                float(int(self.value, 0))
                if self.value.lower().startswith("0x")
                else float(self.value)
            )
        except ValueError as exc:
            raise MockRigError(f"fault '{self}': value {self.value!r} is not a number") from exc


def parse_fault(text: str) -> FaultSpec:
    """Parse ``<side>_<device>:<kind>[=<value>][@<index>]``; raise MockRigError if malformed."""
    raw = text.strip()
    target, sep, rest = raw.partition(":")
    side, _, device = target.partition("_")
    if not sep or side not in ("left", "right") or device not in DEVICES:
        raise MockRigError(
            f"fault {raw!r}: expected '<left|right>_<arm|hand>:<kind>[=value][@index]'"
        )
    body, at, idx = rest.partition("@")
    kind, _, value = body.partition("=")
    kind = kind.strip()
    if kind not in LINK_KINDS + DEVICE_KINDS:
        raise MockRigError(
            f"fault {raw!r}: kind {kind!r} is not one of {LINK_KINDS + DEVICE_KINDS}"
        )
    index = None
    if at:
        try:
            index = int(idx)
        except ValueError as exc:
            raise MockRigError(f"fault {raw!r}: index {idx!r} is not an integer") from exc
    spec = FaultSpec(side, device, kind, value.strip(), index)
    if kind in ("drop", "corrupt") and not 0.0 <= spec.number() <= 1.0:
        raise MockRigError(f"fault {raw!r}: fraction must be in [0, 1], got {value}")
    if kind in ("latency", "disconnect_after") and spec.number() < 0:
        raise MockRigError(f"fault {raw!r}: {kind} must be >= 0, got {value}")
    if kind == "freeze" and spec.index is None and not value:
        raise MockRigError(f"fault {raw!r}: freeze needs a joint, e.g. 'freeze=3'")
    if kind == "error" and device == "hand":
        if value not in HAND_ERROR_BITS:
            raise MockRigError(
                f"fault {raw!r}: hand error must be one of {sorted(HAND_ERROR_BITS)}, "
                f"got {value!r}"
            )
    elif kind == "error":
        spec.number()
    return spec


@dataclass(frozen=True)
class FaultEvent:
    """One entry of the fault log."""

    wall_time: float  # time.time() [s]
    sim_time: float  # simulated time [s]
    target: str  # "<side>_<device>"
    kind: str  # fault kind ("drop", ...) or "<kind>:armed" when a fault is set
    detail: dict[str, Any] = field(default_factory=dict)


class FaultLog:
    """Thread-safe, time-stamped record of every fault armed and every time one acted."""

    def __init__(
        self, sim_clock: Callable[[], float] = lambda: 0.0, path: Path | None = None
    ) -> None:
        self._clock = sim_clock
        self._lock = threading.Lock()
        self._events: list[FaultEvent] = []
        self._file = open(path, "a", encoding="utf-8") if path else None
        self._listeners: list[Callable[[FaultEvent], None]] = []

    def set_clock(self, sim_clock: Callable[[], float]) -> None:
        """Use ``sim_clock`` for the simulated time stamps from now on."""
        self._clock = sim_clock

    def add_listener(self, fn: Callable[[FaultEvent], None]) -> None:
        """Call ``fn(event)`` for every new event (from the thread that records it)."""
        self._listeners.append(fn)

    def record(self, target: str, kind: str, **detail: Any) -> FaultEvent:
        """Append an event stamped now."""
        ev = FaultEvent(time.time(), float(self._clock()), target, kind, detail)
        with self._lock:
            self._events.append(ev)
            if self._file is not None:
                self._file.write(json.dumps(asdict(ev)) + "\n")
                self._file.flush()
        for fn in self._listeners:
            fn(ev)
        return ev

    def events(self, target: str | None = None, kind: str | None = None) -> list[FaultEvent]:
        """Events so far, optionally only those of one target and/or kind."""
        with self._lock:
            return [
                e
                for e in self._events
                if (target is None or e.target == target) and (kind is None or e.kind == kind)
            ]

    def close(self) -> None:
        """Close the log file, if any."""
        if self._file is not None:
            self._file.close()
            self._file = None


class LinkFaults:
    """The transport faults of one endpoint (thread-safe; used by its protocol server)."""

    def __init__(self, target: str, log: FaultLog, seed: int = 0) -> None:
        self.target = target
        self.log = log
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.drop = 0.0  # fraction of replies dropped
        self.corrupt = 0.0  # fraction of replies corrupted
        self.latency = 0.0  # added reply delay [s] (wall time)
        self._disconnect_in: int | None = None  # requests left before the link is closed

    def apply(self, spec: FaultSpec) -> None:
        """Arm a link fault: drop, corrupt, latency, disconnect_after or clear."""
        with self._lock:
            if spec.kind == "drop":
                self.drop = spec.number()
            elif spec.kind == "corrupt":
                self.corrupt = spec.number()
            elif spec.kind == "latency":
                self.latency = spec.number()
            elif spec.kind == "disconnect_after":
                self._disconnect_in = int(spec.number())
            elif spec.kind == "clear":
                self.drop = self.corrupt = self.latency = 0.0
                self._disconnect_in = None
            else:
                raise MockRigError(f"{spec.kind!r} is not a link fault ({LINK_KINDS})")
        self.log.record(self.target, f"{spec.kind}:armed", value=spec.value)

    def on_request(self) -> bool:
        """Count one request; True when the link must now be closed (disconnect_after)."""
        with self._lock:
            if self._disconnect_in is None:
                return False
            if self._disconnect_in > 0:
                self._disconnect_in -= 1
                return False
            self._disconnect_in = None
        self.log.record(self.target, "disconnect")
        return True

    def on_reply(self, payload: bytes, what: str = "") -> bytes | None:
        """The reply as it goes out: None if dropped, altered bytes if corrupted."""
        with self._lock:
            drop = self.drop > 0 and self._rng.random() < self.drop
            corrupt = not drop and self.corrupt > 0 and self._rng.random() < self.corrupt
            pos = self._rng.randrange(len(payload)) if payload else 0
        if drop:
            self.log.record(self.target, "drop", reply=what)
            return None
        if corrupt and payload:
            out = bytearray(payload)
            out[pos] ^= 0x5A
            self.log.record(self.target, "corrupt", reply=what, byte=pos)
            return bytes(out)
        return payload
