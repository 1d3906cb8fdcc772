"""Inspire RH56 register map and the element codecs every hand transport shares.

Addresses are the decimal addresses of the vendor map. Arrays hold one element per actuator in
the order little, ring, middle, index, thumb bend, thumb rotation. Int16 arrays take one Modbus
register per element (big-endian on the Modbus wire, little-endian in the native protocol); uint8
arrays pack two actuators per Modbus register, the lower actuator index in the low byte, and are
plain bytes in the native protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from realman_inspire_driver.errors import ConfigError, FrameError

N_ACTUATORS = 6
ACTUATORS = ("little", "ring", "middle", "index", "thumb_bend", "thumb_rotation")
LEAVE_UNCHANGED = -1  # written to a *_SET element: that actuator keeps its current target


@dataclass(frozen=True)
class RegisterArray:
    """One per-actuator array of the map.

    Attributes:
        name: the vendor name, e.g. ``"ANGLE_SET"``.
        address: start address (decimal, as in the vendor map).
        width: bytes per element, 2 (int16) or 1 (uint8).
        signed: int16 elements are two's complement.
        writable: the host may write it.
        lo, hi: valid range of a written element (``LEAVE_UNCHANGED`` is always allowed).
    """

    name: str
    address: int
    width: int
    signed: bool
    writable: bool = False
    lo: int = 0
    hi: int = 0

    @property
    def n_registers(self) -> int:
        """Number of 16-bit Modbus registers the array occupies."""
        return N_ACTUATORS * self.width // 2

    @property
    def n_bytes(self) -> int:
        """Number of bytes the array occupies (the native protocol's length)."""
        return N_ACTUATORS * self.width


POS_SET = RegisterArray("POS_SET", 1474, 2, True, True, 0, 2000)
ANGLE_SET = RegisterArray("ANGLE_SET", 1486, 2, True, True, 0, 1000)
FORCE_SET = RegisterArray("FORCE_SET", 1498, 2, True, True, 0, 3000)
SPEED_SET = RegisterArray("SPEED_SET", 1522, 2, True, True, 0, 1000)
POS_ACT = RegisterArray("POS_ACT", 1534, 2, True)
ANGLE_ACT = RegisterArray("ANGLE_ACT", 1546, 2, True)
FORCE_ACT = RegisterArray("FORCE_ACT", 1582, 2, True)  # grams, signed
CURRENT = RegisterArray("CURRENT", 1594, 2, True)  # mA
ERROR = RegisterArray("ERROR", 1606, 1, False)
STATUS = RegisterArray("STATUS", 1612, 1, False)
TEMP = RegisterArray("TEMP", 1618, 1, False)  # degrees Celsius

ARRAYS = (
    POS_SET,
    ANGLE_SET,
    FORCE_SET,
    SPEED_SET,
    POS_ACT,
    ANGLE_ACT,
    FORCE_ACT,
    CURRENT,
    ERROR,
    STATUS,
    TEMP,
)

# Single registers the host writes 1 to.
HAND_ID = 1000
CLEAR_ERROR = 1004
SAVE = 1005
RESET_PARA = 1006
FORCE_SENSOR_CALIB = 1009

ERROR_BITS = ("stall", "over-temperature", "over-current", "motor fault", "communication")
STATUS_WORDS = {
    0: "releasing",
    1: "grasping",
    2: "position reached",
    3: "force reached",
    5: "current protection",
    6: "stall",
    7: "fault",
}


def decode_error_bits(code: int) -> tuple[str, ...]:
    """Names of the set bits of one actuator's ERROR byte (unknown bits as ``bitN``)."""
    words = [name for bit, name in enumerate(ERROR_BITS) if code >> bit & 1]
    words += [f"bit{bit}" for bit in range(len(ERROR_BITS), 8) if code >> bit & 1]
    return tuple(words)


def decode_status(code: int) -> str:
    """Name of one actuator's STATUS code."""
    return STATUS_WORDS.get(code, f"unknown status {code}")


def check_values(array: RegisterArray, values: Sequence[int]) -> tuple[int, ...]:
    """Validate the 6 elements to write into ``array``; returns them as a tuple of ints.

    Raises:
        ConfigError: not writable, wrong count, a non-integer, or an element out of range.
    """
    if not array.writable:
        raise ConfigError(f"{array.name} is read-only")
    if len(values) != N_ACTUATORS:
        raise ConfigError(
            f"{array.name} takes {N_ACTUATORS} values (one per actuator), got {len(values)}"
        )
    out = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or int(v) != v:
            raise ConfigError(f"{array.name}[{i}] must be an integer, got {v!r}")
        v = int(v)
        if v != LEAVE_UNCHANGED and not array.lo <= v <= array.hi:
            raise ConfigError(
                f"{array.name}[{i}] = {v} is outside [{array.lo}, {array.hi}] "
                f"(or {LEAVE_UNCHANGED} to leave that actuator unchanged)"
            )
        out.append(v)
    return tuple(out)


def to_registers(array: RegisterArray, values: Sequence[int]) -> list[int]:
    """Elements → 16-bit register words for a Modbus write (two's complement for int16)."""
    if array.width == 2:
        return [v & 0xFFFF for v in values]
    return [(values[i] & 0xFF) | (values[i + 1] & 0xFF) << 8 for i in range(0, N_ACTUATORS, 2)]


def from_registers(array: RegisterArray, registers: Sequence[int]) -> tuple[int, ...]:
    """16-bit register words read over Modbus → the array's 6 elements."""
    if len(registers) != array.n_registers:
        raise FrameError(
            f"{array.name}: expected {array.n_registers} registers, got {len(registers)}"
        )
    if array.width == 2:
        return tuple(_as_signed16(r) if array.signed else r for r in registers)
    out: list[int] = []
    for r in registers:
        out += [r & 0xFF, r >> 8 & 0xFF]
    return tuple(out)


def to_bytes(array: RegisterArray, values: Sequence[int]) -> bytes:
    """Elements → the native protocol's little-endian data bytes."""
    if array.width == 2:
        return b"".join((v & 0xFFFF).to_bytes(2, "little") for v in values)
    return bytes(v & 0xFF for v in values)


def from_bytes(array: RegisterArray, data: bytes) -> tuple[int, ...]:
    """The native protocol's data bytes → the array's 6 elements."""
    if len(data) != array.n_bytes:
        raise FrameError(f"{array.name}: expected {array.n_bytes} data bytes, got {len(data)}")
    if array.width == 1:
        return tuple(data)
    return tuple(
        int.from_bytes(data[i : i + 2], "little", signed=array.signed)
        for i in range(0, len(data), 2)
    )


def _as_signed16(word: int) -> int:
    return word - 0x10000 if word & 0x8000 else word
