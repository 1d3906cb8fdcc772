"""The Inspire native serial protocol (0xEB 0x90 frames), the hand's third transport.

Request: ``EB 90 | id | len | cmd | addr lo | addr hi | data | checksum`` with ``len`` = data
bytes + 3 and checksum = low byte of the sum of every byte from ``id`` to the last data byte. A
read's data is one byte, the number of bytes to read. Replies have the same layout behind
``90 EB``: a read reply carries the bytes read, a write acknowledgement carries one status byte
(9 bytes in all).
"""

from __future__ import annotations

from realman_inspire_driver.errors import ChecksumError, ConfigError, FrameError

REQUEST_MAGIC = b"\xeb\x90"
REPLY_MAGIC = b"\x90\xeb"
CMD_READ = 0x11
CMD_WRITE = 0x12
HEAD_LENGTH = 4  # magic, id, len: enough to know a reply's length
OVERHEAD = 5  # magic (2), id, len, checksum: total = len + OVERHEAD
MAX_DATA = 250 - 3  # len is one byte and real frames stay far below it
WRITE_ACK_LENGTH = 9


def checksum(body: bytes) -> int:
    """Low byte of the sum of ``body`` (the bytes from id to the last data byte)."""
    return sum(body) & 0xFF


def _frame(magic: bytes, hand_id: int, cmd: int, address: int, data: bytes) -> bytes:
    body = bytes([hand_id, len(data) + 3, cmd]) + address.to_bytes(2, "little") + data
    return magic + body + bytes([checksum(body)])


def _check_target(hand_id: int, address: int) -> None:
    if not 1 <= hand_id <= 254:
        raise ConfigError(f"Inspire hand id must be in 1..254, got {hand_id}")
    if not 0 <= address <= 0xFFFF:
        raise ConfigError(f"Inspire register address must be in 0..65535, got {address}")


def encode_read(hand_id: int, address: int, n_bytes: int) -> bytes:
    """Request to read ``n_bytes`` bytes from ``address``."""
    _check_target(hand_id, address)
    if not 1 <= n_bytes <= MAX_DATA:
        raise ConfigError(f"native read length must be in 1..{MAX_DATA} bytes, got {n_bytes}")
    return _frame(REQUEST_MAGIC, hand_id, CMD_READ, address, bytes([n_bytes]))


def encode_write(hand_id: int, address: int, data: bytes) -> bytes:
    """Request to write ``data`` (already little-endian) at ``address``."""
    _check_target(hand_id, address)
    if not 1 <= len(data) <= MAX_DATA:
        raise ConfigError(f"native write must carry 1..{MAX_DATA} bytes, got {len(data)}")
    return _frame(REQUEST_MAGIC, hand_id, CMD_WRITE, address, bytes(data))


def reply_length(head: bytes) -> int:
    """Total length of a reply from its first four bytes (magic, id, len).

    Raises:
        FrameError: not a reply header, or an impossible length byte.
    """
    if len(head) < HEAD_LENGTH:
        raise FrameError(f"need {HEAD_LENGTH} bytes to size a native reply, got {len(head)}")
    if head[:2] != REPLY_MAGIC:
        raise FrameError(
            f"native reply must start with 90 EB, got {bytes(head[:2]).hex(' ')}",
            frame=bytes(head),
        )
    if not 3 < head[3] <= MAX_DATA + 3:
        raise FrameError(f"native reply length byte {head[3]} is outside 4..{MAX_DATA + 3}")
    return head[3] + OVERHEAD


def _decode(frame: bytes, hand_id: int, cmd: int, address: int) -> bytes:
    if len(frame) < HEAD_LENGTH + 4:
        raise FrameError(f"native reply too short: {len(frame)} bytes", frame=frame)
    expected_total = reply_length(frame[:HEAD_LENGTH])
    if len(frame) != expected_total:
        raise FrameError(
            f"native reply length byte says {expected_total} bytes, got {len(frame)}",
            frame=frame,
        )
    body, found = frame[2:-1], frame[-1]
    if checksum(body) != found:
        raise ChecksumError(
            f"native checksum mismatch: frame carries {found:02X}, content gives "
            f"{checksum(body):02X} (frame {frame.hex(' ')})",
            frame=frame,
        )
    if body[0] != hand_id:
        raise FrameError(f"native reply from hand {body[0]}, expected hand {hand_id}", frame=frame)
    if body[2] != cmd:
        raise FrameError(
            f"native reply command 0x{body[2]:02X}, expected 0x{cmd:02X}", frame=frame
        )
    got_address = int.from_bytes(body[3:5], "little")
    if got_address != address:
        raise FrameError(
            f"native reply for address {got_address}, expected {address}", frame=frame
        )
    return bytes(body[5:])


def decode_read_reply(frame: bytes, hand_id: int, address: int, n_bytes: int) -> bytes:
    """Check a read reply against its request; returns the ``n_bytes`` data bytes."""
    data = _decode(frame, hand_id, CMD_READ, address)
    if len(data) != n_bytes:
        raise FrameError(
            f"native read reply carries {len(data)} data bytes, expected {n_bytes}", frame=frame
        )
    return data


def decode_write_reply(frame: bytes, hand_id: int, address: int) -> int:
    """Check a write acknowledgement against its request; returns its status byte."""
    if len(frame) != WRITE_ACK_LENGTH:
        raise FrameError(
            f"native write acknowledgement must be {WRITE_ACK_LENGTH} bytes, got {len(frame)}",
            frame=frame,
        )
    return _decode(frame, hand_id, CMD_WRITE, address)[0]
