"""The Inspire hand's register map (``facts/inspire_protocol.md``), in both addressings.

Modbus: every element of a block is one 16-bit register from the block's address on; a block of
8-bit values packs two per register, the lower actuator index in the low byte. The native serial
protocol addresses bytes: a 16-bit element takes two bytes (little-endian), an 8-bit one one byte.
"""

from __future__ import annotations

from dataclasses import dataclass

ADDRESS_MIN = 1000
ADDRESS_MAX = 1623  # last register of TEMP


@dataclass(frozen=True)
class Block:
    """One named register block."""

    name: str
    address: int  # first address (Modbus register number == native byte address)
    count: int  # number of elements
    width: int  # bytes per element: 1 (u8) or 2 (i16)
    writable: bool

    @property
    def n_registers(self) -> int:
        """Modbus registers the block occupies."""
        return self.count if self.width == 2 else (self.count + 1) // 2

    @property
    def n_bytes(self) -> int:
        """Native-protocol bytes the block occupies."""
        return self.count * self.width


BLOCKS: tuple[Block, ...] = (
    Block("HAND_ID", 1000, 1, 1, True),
    Block("BAUDRATE", 1001, 1, 1, True),
    Block("CLEAR_ERROR", 1004, 1, 1, True),
    Block("SAVE", 1005, 1, 1, True),
    Block("RESET_PARA", 1006, 1, 1, True),
    Block("FORCE_SENSOR_CALIB", 1009, 1, 1, True),
    Block("CURRENT_LIMIT", 1020, 6, 2, True),
    Block("DEFAULT_SPEED", 1032, 6, 2, True),
    Block("DEFAULT_FORCE", 1044, 6, 2, True),
    Block("POS_SET", 1474, 6, 2, True),
    Block("ANGLE_SET", 1486, 6, 2, True),
    Block("FORCE_SET", 1498, 6, 2, True),
    Block("SPEED_SET", 1522, 6, 2, True),
    Block("POS_ACT", 1534, 6, 2, False),
    Block("ANGLE_ACT", 1546, 6, 2, False),
    Block("FORCE_ACT", 1582, 6, 2, False),
    Block("CURRENT", 1594, 6, 2, False),
    Block("ERROR", 1606, 6, 1, False),
    Block("STATUS", 1612, 6, 1, False),
    Block("TEMP", 1618, 6, 1, False),
)
BY_NAME: dict[str, Block] = {b.name: b for b in BLOCKS}

# STATUS values
STATUS_RELEASING = 0
STATUS_GRASPING = 1
STATUS_POSITION_REACHED = 2
STATUS_FORCE_REACHED = 3
STATUS_CURRENT_PROTECTION = 5
STATUS_STALL = 6
STATUS_FAULT = 7


_BY_REGISTER = {
    a: (b, a - b.address) for b in BLOCKS for a in range(b.address, b.address + b.n_registers)
}
_BY_BYTE = {a: (b, a - b.address) for b in BLOCKS for a in range(b.address, b.address + b.n_bytes)}


def block_at_register(address: int) -> tuple[Block, int] | None:
    """The block holding Modbus register ``address`` and the register's offset in it."""
    return _BY_REGISTER.get(address)


def block_at_byte(address: int) -> tuple[Block, int] | None:
    """The block holding native byte ``address`` and the byte's offset in it."""
    return _BY_BYTE.get(address)


def to_u16(value: int) -> int:
    """A signed 16-bit value as its register bits (two's complement)."""
    return value & 0xFFFF


def to_i16(register: int) -> int:
    """Register bits as a signed 16-bit value."""
    return register - 0x10000 if register & 0x8000 else register
