"""Modbus PDUs for the three functions the hand needs: read holding registers (0x03), write single
register (0x06), write multiple registers (0x10).

Requests are encoded by pymodbus's PDU classes. Replies are checked here, strictly and against the
request that was sent (function, byte count, address and count echo), because a lenient decoder
would hand a truncated or misrouted reply to the safety layer as if it were a measurement. Every
failure is one of the package's exceptions.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from pymodbus.constants import ExcCodes
from pymodbus.pdu.register_message import (
    ReadHoldingRegistersRequest,
    WriteMultipleRegistersRequest,
    WriteSingleRegisterRequest,
)

from realman_inspire_driver.errors import ConfigError, FrameError, ModbusExceptionError

READ_HOLDING = 0x03
WRITE_SINGLE = 0x06
WRITE_MULTIPLE = 0x10
MAX_READ = 125  # registers per read (Modbus limit)
MAX_WRITE = 123  # registers per write (Modbus limit)


@dataclass(frozen=True)
class Request:
    """One Modbus request: what was asked, so the reply can be checked against it.

    Attributes:
        function: 0x03, 0x06 or 0x10.
        address: first register address (0..65535).
        count: number of registers read or written.
        values: register words written (empty for a read).
    """

    function: int
    address: int
    count: int
    values: tuple[int, ...] = ()


def read_request(address: int, count: int) -> Request:
    """A read of ``count`` holding registers from ``address``."""
    _check_address(address, count, MAX_READ)
    return Request(READ_HOLDING, address, count)


def write_request(address: int, values: list[int] | tuple[int, ...]) -> Request:
    """A write of register words: function 0x06 for one word, 0x10 for several."""
    values = tuple(values)
    _check_address(address, len(values), MAX_WRITE)
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 0xFFFF:
            raise ConfigError(f"register word {i} must be an int in 0..65535, got {v!r}")
    function = WRITE_SINGLE if len(values) == 1 else WRITE_MULTIPLE
    return Request(function, address, len(values), values)


def write_multiple_request(address: int, values: list[int] | tuple[int, ...]) -> Request:
    """A write of register words that always uses function 0x10 (even for one word)."""
    req = write_request(address, values)
    return Request(WRITE_MULTIPLE, req.address, req.count, req.values)


def encode(req: Request) -> bytes:
    """The request PDU: function code followed by its data."""
    if req.function == READ_HOLDING:
        pdu = ReadHoldingRegistersRequest(address=req.address, count=req.count)
    elif req.function == WRITE_SINGLE:
        pdu = WriteSingleRegisterRequest(address=req.address, registers=list(req.values))
    elif req.function == WRITE_MULTIPLE:
        pdu = WriteMultipleRegistersRequest(address=req.address, registers=list(req.values))
    else:
        raise ConfigError(f"unsupported Modbus function 0x{req.function:02X}")
    return bytes([req.function]) + pdu.encode()


def reply_length(req: Request) -> int:
    """Length in bytes of a normal (non-exception) reply PDU to ``req``."""
    if req.function == READ_HOLDING:
        return 2 + 2 * req.count
    return 5  # 0x06 and 0x10 echo address and value/count


EXCEPTION_REPLY_LENGTH = 2  # function | 0x80, exception code


def decode_reply(req: Request, pdu: bytes) -> tuple[int, ...]:
    """Check a reply PDU against ``req``; returns the registers read (empty for a write).

    Raises:
        ModbusExceptionError: the device answered with an exception code.
        FrameError: anything else that does not match the request.
    """
    if len(pdu) < 2:
        raise FrameError(f"Modbus reply PDU too short: {len(pdu)} bytes", frame=pdu)
    function = pdu[0]
    if function == req.function | 0x80:
        if len(pdu) != EXCEPTION_REPLY_LENGTH:
            raise FrameError(f"Modbus exception reply must be 2 bytes, got {len(pdu)}", frame=pdu)
        raise ModbusExceptionError(req.function, pdu[1], exception_name(pdu[1]))
    if function != req.function:
        raise FrameError(
            f"expected a reply to function 0x{req.function:02X}, got function 0x{function:02X}",
            frame=pdu,
        )
    expected = reply_length(req)
    if len(pdu) != expected:
        raise FrameError(
            f"reply to function 0x{function:02X} must be {expected} bytes, got {len(pdu)}",
            frame=pdu,
        )
    if function == READ_HOLDING:
        if pdu[1] != 2 * req.count:
            raise FrameError(
                f"read reply byte count {pdu[1]} does not match {req.count} registers asked",
                frame=pdu,
            )
        return struct.unpack(f">{req.count}H", pdu[2:])
    address, word = struct.unpack(">HH", pdu[1:5])
    echo = req.values[0] if function == WRITE_SINGLE else req.count
    if (address, word) != (req.address, echo):
        raise FrameError(
            f"write reply echoes address {address} / {word}, expected {req.address} / {echo}",
            frame=pdu,
        )
    return ()


def exception_name(code: int) -> str:
    """Readable name of a Modbus exception code, e.g. 2 → ``"illegal address"``."""
    try:
        return ExcCodes(code).name.lower().replace("_", " ")
    except ValueError:
        return f"unknown exception code {code}"


def _check_address(address: int, count: int, max_count: int) -> None:
    if not 1 <= count <= max_count:
        raise ConfigError(f"register count must be in 1..{max_count}, got {count}")
    if not 0 <= address or address + count > 0x10000:
        raise ConfigError(f"register range {address}..{address + count - 1} is outside 0..65535")
