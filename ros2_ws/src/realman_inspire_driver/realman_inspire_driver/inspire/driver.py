"""Inspire hand driver logic (pure): ramped soft start, angle streaming, forces as efforts, error
bits as faults, health at a low rate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from realman_inspire_driver.device_driver import DeviceDriver, Measurement
from realman_inspire_driver.errors import ConfigError
from realman_inspire_driver.inspire import registers as regs
from realman_inspire_driver.inspire.client import GRAMS_TO_NEWTONS, InspireHand
from realman_inspire_driver.inspire.transports import HandLinkConfig, HandTransport, open_transport
from realman_inspire_driver.loop import Backoff
from realman_inspire_driver.safety.gate import Action, SafetyGate

# One extra read per control period, round robin: forces every other period, health in between.
EXTRA_READS = ("force", "error", "force", "temperature", "force", "status")
DEFAULT_FAULT_MASK = 0b01110  # over-temperature, over-current, motor fault


class Calibration(Protocol):
    """Radians ↔ 0..1000 (``maniptrans_description.inspire.HandCalibration``)."""

    def radians_to_command(self, q_act: np.ndarray) -> np.ndarray: ...

    def command_to_radians(self, cmd: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class HandDriverConfig:
    """Hand driver settings.

    Attributes:
        link: protocol, port and timeouts.
        speed: SPEED_SET written on connect (0..1000; the gate rate-limits the stream itself).
        force_limit: FORCE_SET written on connect (0..1000, grams on most units).
        fault_mask: ERROR bits that stop streaming until ``clear_error`` (bit0 stall, bit1
            over-temperature, bit2 over-current, bit3 motor fault, bit4 communication); other
            bits are reported only.
        read_retries: extra attempts of a failed read.
    """

    link: HandLinkConfig = field(default_factory=HandLinkConfig)
    speed: int = 1000
    force_limit: int = 500
    fault_mask: int = DEFAULT_FAULT_MASK
    read_retries: int = 2

    def __post_init__(self) -> None:
        if not 0 <= self.speed <= 1000:
            raise ConfigError(f"speed must be in 0..1000, got {self.speed}")
        if not 0 <= self.force_limit <= 3000:
            raise ConfigError(f"force_limit must be in 0..3000, got {self.force_limit}")
        if not 0 <= self.fault_mask <= 0xFF:
            raise ConfigError(f"fault_mask must be a byte, got {self.fault_mask}")


class HandDriver(DeviceDriver):
    """One Inspire hand; ``gate.limits.names`` gives the actuator names."""

    device = "hand"
    timeout_is_loss = False  # a noisy bus times out now and then; five periods in a row = lost

    def __init__(
        self,
        config: HandDriverConfig,
        gate: SafetyGate,
        calibration: Calibration,
        transport_factory: Callable[[HandLinkConfig], HandTransport] = open_transport,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__(gate, failures_to_disconnect=5, backoff=backoff)
        self.config = config
        self.calibration = calibration
        self.transport_factory = transport_factory
        self.names = gate.limits.names
        self.hand: InspireHand | None = None
        self.force_n = np.zeros(len(self.names))
        self.errors: tuple[int, ...] = (0,) * regs.N_ACTUATORS
        self.status_codes: tuple[int, ...] = (0,) * regs.N_ACTUATORS
        self.temperature: tuple[int, ...] | None = None
        self._ticks = 0

    def _client(self) -> InspireHand:
        assert self.hand is not None, "hand not connected"
        return self.hand

    def _measure(self) -> np.ndarray:
        angles = np.clip(np.array(self._client().read_angles(), dtype=float), 0, 1000)
        return np.asarray(self.calibration.command_to_radians(angles), dtype=float)

    def _open(self) -> np.ndarray:
        self.hand = InspireHand(self.transport_factory(self.config.link), self.config.read_retries)
        self.hand.set_speeds([self.config.speed] * regs.N_ACTUATORS)
        self.hand.set_forces([self.config.force_limit] * regs.N_ACTUATORS)
        return self._measure()

    def _close(self) -> None:
        if self.hand is not None:
            self.hand.close()
        self.hand = None

    def _extra_read(self) -> None:
        hand = self._client()
        kind = EXTRA_READS[self._ticks % len(EXTRA_READS)]
        if kind == "force":
            self.force_n = np.array(hand.read_forces(), dtype=float) * GRAMS_TO_NEWTONS
        elif kind == "error":
            self.errors = hand.read_errors()
            bad = [code & self.config.fault_mask for code in self.errors]
            if any(bad) and self.gate.fault is None:
                words = "; ".join(
                    f"{name}: {', '.join(regs.decode_error_bits(code))}"
                    for name, code in zip(regs.ACTUATORS, bad, strict=True)
                    if code
                )
                self.gate.set_fault(f"hand error: {words}")
        elif kind == "temperature":
            self.temperature = hand.read_temperatures()
        else:
            self.status_codes = hand.read_status()

    def _cycle(self, now: float) -> Measurement:
        q = self._measure()
        self._send(self.gate.step(now, q))
        self._extra_read()
        self._ticks += 1
        return Measurement(self.names, q, self.force_n.copy())

    def _send(self, action: Action) -> None:
        if action.kind == "stream":
            command = self.calibration.radians_to_command(action.q)
            self._client().set_angles([int(c) for c in command])
        # move_to is never asked of a ramped gate; hold / idle: the hand keeps its target

    def _on_latch(self, reason: str) -> None:
        hand = self._client()
        hand.set_angles(list(hand.read_angles()))  # stop where the fingers are now

    def _clear_error(self) -> str:
        if self.connected:
            self._client().clear_error()
            self.errors = (0,) * regs.N_ACTUATORS
        self.gate.clear_fault()
        return "hand errors cleared; soft start required before streaming resumes"

    def _device_status(self) -> dict[str, object]:
        out: dict[str, object] = {
            "hand_errors": {
                name: list(regs.decode_error_bits(code))
                for name, code in zip(self.names, self.errors, strict=True)
                if code
            },
            "hand_status": [regs.decode_status(code) for code in self.status_codes],
            "force_n": [round(float(f), 2) for f in self.force_n],
        }
        if self.temperature is not None:
            out["temperature_c"] = list(self.temperature)
        if self.hand is not None:
            stats = self.hand.transport.stats
            out["transport"] = {
                "transactions": stats.transactions,
                "timeouts": stats.timeouts,
                "checksum_errors": stats.checksum_errors,
                "frame_errors": stats.frame_errors,
                "exception_replies": stats.exception_replies,
                "read_retries_used": self.hand.retries_used,
            }
        return out
