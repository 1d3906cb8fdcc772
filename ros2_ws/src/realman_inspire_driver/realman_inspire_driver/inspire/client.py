"""Inspire hand client: the register operations a driver needs, with bounded read retries.

Works in the hand's own units (0..1000 commands, grams, °C, raw error bytes); conversion to radians
and newtons happens in the driver through the hand calibration. Reads are retried on timeouts and
bad frames (a noisy RS485 line), never on a Modbus exception (the hand answered on purpose) nor on
a lost link; writes are never retried (the next control period sends a fresh one anyway).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from realman_inspire_driver.errors import DeviceFaultError, DeviceTimeoutError, FrameError
from realman_inspire_driver.inspire import registers as regs
from realman_inspire_driver.inspire.transports import HandTransport

GRAMS_TO_NEWTONS = 9.80665e-3


@dataclass(frozen=True)
class HandHealth:
    """Slow-changing state of the six actuators.

    Attributes:
        errors: raw ERROR byte per actuator (bit0 stall .. bit4 communication).
        status: raw STATUS code per actuator.
        temperature: per actuator [°C].
    """

    errors: tuple[int, ...]
    status: tuple[int, ...]
    temperature: tuple[int, ...]

    def error_words(self) -> dict[str, tuple[str, ...]]:
        """Actuator name → decoded error bits, for the actuators with any bit set."""
        return {
            name: regs.decode_error_bits(code)
            for name, code in zip(regs.ACTUATORS, self.errors, strict=True)
            if code
        }


class InspireHand:
    """One hand behind a transport.

    Args:
        transport: Modbus RTU, Modbus TCP or native transport (see ``transports.open_transport``).
        read_retries: extra attempts after a read fails by timeout or bad frame.
    """

    def __init__(self, transport: HandTransport, read_retries: int = 2) -> None:
        self.transport = transport
        self.read_retries = max(0, int(read_retries))
        self.retries_used = 0

    def _read(self, array: regs.RegisterArray) -> tuple[int, ...]:
        for attempt in range(self.read_retries + 1):
            try:
                return self.transport.read_array(array)
            except (DeviceTimeoutError, FrameError):
                if attempt == self.read_retries:
                    raise
                self.retries_used += 1
        raise AssertionError("unreachable")

    # commands -----------------------------------------------------------------------------

    def set_angles(self, command: Sequence[int]) -> None:
        """ANGLE_SET: 6 targets in 0..1000 (1000 open, 0 closed; -1 leaves one unchanged)."""
        self.transport.write_array(regs.ANGLE_SET, command)

    def set_speeds(self, speed: Sequence[int]) -> None:
        """SPEED_SET: 6 speeds in 0..1000 of the actuators' full speed."""
        self.transport.write_array(regs.SPEED_SET, speed)

    def set_forces(self, force: Sequence[int]) -> None:
        """FORCE_SET: 6 force thresholds (grams on most units; a finger stops when reached)."""
        self.transport.write_array(regs.FORCE_SET, force)

    def clear_error(self) -> None:
        """Write CLEAR_ERROR: the latched ERROR bits reset."""
        self.transport.write_single(regs.CLEAR_ERROR, 1)

    # measurements -------------------------------------------------------------------------

    def read_angles(self) -> tuple[int, ...]:
        """ANGLE_ACT: measured actuator positions in 0..1000."""
        return self._read(regs.ANGLE_ACT)

    def read_forces(self) -> tuple[int, ...]:
        """FORCE_ACT: measured finger forces [g] (signed)."""
        return self._read(regs.FORCE_ACT)

    def read_errors(self) -> tuple[int, ...]:
        """ERROR: latched error byte per actuator."""
        return self._read(regs.ERROR)

    def read_status(self) -> tuple[int, ...]:
        """STATUS: state code per actuator."""
        return self._read(regs.STATUS)

    def read_temperatures(self) -> tuple[int, ...]:
        """TEMP: per actuator [°C]."""
        return self._read(regs.TEMP)

    def read_health(self) -> HandHealth:
        """ERROR, STATUS and TEMP in one call (three transactions)."""
        return HandHealth(self.read_errors(), self.read_status(), self.read_temperatures())

    def check_errors(self, mask: int = 0xFF) -> HandHealth:
        """Read the health and raise ``DeviceFaultError`` naming every actuator whose ERROR byte
        has a bit of ``mask`` set."""
        health = self.read_health()
        bad = {
            name: regs.decode_error_bits(code & mask)
            for name, code in zip(regs.ACTUATORS, health.errors, strict=True)
            if code & mask
        }
        if bad:
            text = "; ".join(f"{name}: {', '.join(words)}" for name, words in bad.items())
            raise DeviceFaultError(
                f"hand reports errors: {text}",
                codes=health.errors,
                words=tuple(f"{n}: {w}" for n, ws in bad.items() for w in ws),
            )
        return health

    def close(self) -> None:
        """Release the transport."""
        self.transport.close()
