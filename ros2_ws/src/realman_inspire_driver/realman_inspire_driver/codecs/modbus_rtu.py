"""Modbus RTU application data units: slave id + PDU + CRC-16 (low byte first).

The reader side works in two steps so a serial transport knows how many bytes to wait for:
``reply_length(req, head)`` from the first two bytes, then ``decode_reply(req, slave, frame)``.
"""

from __future__ import annotations

from realman_inspire_driver.codecs import modbus_pdu
from realman_inspire_driver.codecs.modbus_pdu import Request
from realman_inspire_driver.errors import ChecksumError, ConfigError, FrameError

HEAD_LENGTH = 2  # slave id, function code: enough to know the reply's length
MIN_FRAME = 4  # slave id, function code, 2 CRC bytes


def _make_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _make_table()


def crc16(data: bytes) -> int:
    """CRC-16/MODBUS of ``data`` (init 0xFFFF, reflected polynomial 0xA001).

    On the wire the CRC follows the data, low byte first: the CRC of ``11 03 00 6B 00 03`` is
    0x8776, sent as ``76 87``.
    """
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ _TABLE[(crc ^ byte) & 0xFF]
    return crc


def encode_adu(slave: int, pdu: bytes) -> bytes:
    """Frame a PDU for slave ``slave`` (1..247): id + PDU + CRC."""
    if not 1 <= slave <= 247:
        raise ConfigError(f"Modbus RTU slave id must be in 1..247, got {slave}")
    body = bytes([slave]) + pdu
    return body + crc16(body).to_bytes(2, "little")


def encode_request(slave: int, req: Request) -> bytes:
    """The full RTU frame of ``req`` for slave ``slave``."""
    return encode_adu(slave, modbus_pdu.encode(req))


def reply_length(req: Request, head: bytes) -> int:
    """Total frame length of the reply to ``req``, from its first two bytes.

    Raises:
        FrameError: ``head`` is not the start of a reply to ``req`` (then the length is unknown).
    """
    if len(head) < HEAD_LENGTH:
        raise FrameError(f"need {HEAD_LENGTH} bytes to size an RTU reply, got {len(head)}")
    if head[1] == req.function | 0x80:
        return 1 + modbus_pdu.EXCEPTION_REPLY_LENGTH + 2
    if head[1] == req.function:
        return 1 + modbus_pdu.reply_length(req) + 2
    raise FrameError(
        f"RTU reply starts with function 0x{head[1]:02X}, expected 0x{req.function:02X} "
        f"or exception 0x{req.function | 0x80:02X}",
        frame=bytes(head),
    )


def other_reply_length(head: bytes) -> int | None:
    """Total length of a reply to *another* request (read, write or exception), from its first
    three bytes, so a late reply to an earlier, timed-out request can be read whole and
    dropped; None if the function is not one this driver sends."""
    if len(head) < 3:
        raise FrameError(f"need 3 bytes to size an RTU reply, got {len(head)}")
    function = head[1]
    if function & 0x80:
        return 5
    if function == modbus_pdu.READ_HOLDING:
        return 5 + head[2]
    if function in (modbus_pdu.WRITE_SINGLE, modbus_pdu.WRITE_MULTIPLE):
        return 8
    return None


def decode_adu(slave: int, frame: bytes) -> bytes:
    """Check an RTU frame's length, CRC and slave id; returns its PDU.

    Raises:
        ChecksumError: the CRC does not match.
        FrameError: too short or from another slave.
    """
    if len(frame) < MIN_FRAME:
        raise FrameError(
            f"RTU frame too short: {len(frame)} bytes (minimum {MIN_FRAME})", frame=frame
        )
    body, crc_bytes = frame[:-2], frame[-2:]
    expected = crc16(body)
    found = int.from_bytes(crc_bytes, "little")
    if found != expected:
        raise ChecksumError(
            f"RTU CRC mismatch: frame carries {crc_bytes.hex(' ')}, content gives "
            f"{expected.to_bytes(2, 'little').hex(' ')} (frame {frame.hex(' ')})",
            frame=frame,
        )
    if body[0] != slave:
        raise FrameError(f"RTU reply from slave {body[0]}, expected slave {slave}", frame=frame)
    return body[1:]


def decode_reply(req: Request, slave: int, frame: bytes) -> tuple[int, ...]:
    """Check a whole RTU reply frame against ``req``; returns the registers read."""
    return modbus_pdu.decode_reply(req, decode_adu(slave, frame))
