"""Modbus TCP application data units: the 7-byte MBAP header + PDU (no CRC; TCP checks bytes).

MBAP: transaction id (2), protocol id (2, always 0), length (2, = unit id + PDU bytes),
unit id (1).
"""

from __future__ import annotations

import struct

from realman_inspire_driver.codecs import modbus_pdu
from realman_inspire_driver.codecs.modbus_pdu import Request
from realman_inspire_driver.errors import ConfigError, FrameError

HEADER_LENGTH = 7
MAX_LENGTH = 254  # unit id + the largest PDU (253 bytes)


def encode_request(transaction: int, unit: int, req: Request) -> bytes:
    """The MBAP frame of ``req`` with transaction id ``transaction`` for unit ``unit``."""
    if not 0 <= transaction <= 0xFFFF:
        raise ConfigError(f"Modbus TCP transaction id must be in 0..65535, got {transaction}")
    if not 0 <= unit <= 255:
        raise ConfigError(f"Modbus TCP unit id must be in 0..255, got {unit}")
    pdu = modbus_pdu.encode(req)
    return struct.pack(">HHHB", transaction, 0, len(pdu) + 1, unit) + pdu


def decode_header(header: bytes) -> tuple[int, int, int]:
    """Parse an MBAP header; returns (transaction id, unit id, PDU length to read next).

    Raises:
        FrameError: wrong size, protocol id not 0, or a length outside 2..254.
    """
    if len(header) != HEADER_LENGTH:
        raise FrameError(
            f"MBAP header must be {HEADER_LENGTH} bytes, got {len(header)}", frame=header
        )
    transaction, protocol, length, unit = struct.unpack(">HHHB", header)
    if protocol != 0:
        raise FrameError(f"MBAP protocol id must be 0, got {protocol}", frame=header)
    if not 2 <= length <= MAX_LENGTH:
        raise FrameError(f"MBAP length {length} is outside 2..{MAX_LENGTH}", frame=header)
    return transaction, unit, length - 1


def decode_reply(
    req: Request, transaction: int, unit: int, header: bytes, pdu: bytes
) -> tuple[int, ...]:
    """Check a whole Modbus TCP reply against ``req``; returns the registers read."""
    got_transaction, got_unit, pdu_length = decode_header(header)
    if got_transaction != transaction:
        raise FrameError(
            f"Modbus TCP reply has transaction id {got_transaction}, expected {transaction}",
            frame=header + pdu,
        )
    if got_unit != unit:
        raise FrameError(
            f"Modbus TCP reply from unit {got_unit}, expected {unit}", frame=header + pdu
        )
    if len(pdu) != pdu_length:
        raise FrameError(
            f"MBAP header announces {pdu_length} PDU bytes, got {len(pdu)}", frame=header + pdu
        )
    return modbus_pdu.decode_reply(req, pdu)
