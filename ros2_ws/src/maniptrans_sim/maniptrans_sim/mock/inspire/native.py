"""The Inspire native serial protocol, device side (``facts/inspire_protocol.md``).

Request ``EB 90 | id | len | cmd | addr lo | addr hi | data | checksum`` with ``len`` = data bytes
+ 3 and the checksum the low byte of the sum from ``id`` to the last data byte. ``cmd`` 0x11 reads
(data = one byte: how many bytes), 0x12 writes. Replies start ``90 EB``; a read reply carries the
bytes read, a write acknowledgement one status byte (1 = done).
"""

from __future__ import annotations

from dataclasses import dataclass

REQUEST_HEAD = b"\xeb\x90"
REPLY_HEAD = b"\x90\xeb"
CMD_READ = 0x11
CMD_WRITE = 0x12


@dataclass(frozen=True)
class NativeRequest:
    """One decoded request."""

    hand_id: int
    cmd: int
    address: int
    data: bytes


def checksum(body: bytes) -> int:
    """Low byte of the sum of ``body`` (id .. last data byte)."""
    return sum(body) & 0xFF


def split_frames(buf: bytearray) -> list[NativeRequest | None]:
    """Take every complete frame off the front of ``buf`` (None for a bad checksum).

    Bytes before a header are discarded; an incomplete frame stays in ``buf``.
    """
    out: list[NativeRequest | None] = []
    while True:
        start = buf.find(REQUEST_HEAD)
        if start < 0:
            del buf[: max(len(buf) - 1, 0)]  # keep a trailing 0xEB that may start a header
            return out
        del buf[:start]
        if len(buf) < 4:
            return out
        length = buf[3]
        total = 4 + length + 1
        if length < 3:
            del buf[:2]
            continue
        if len(buf) < total:
            return out
        frame = bytes(buf[:total])
        del buf[:total]
        body = frame[2:-1]
        if checksum(body) != frame[-1]:
            out.append(None)
            continue
        out.append(NativeRequest(body[0], body[2], body[3] | body[4] << 8, body[5:]))


def build_reply(hand_id: int, cmd: int, address: int, data: bytes) -> bytes:
    """A reply frame carrying ``data`` (the bytes read, or the write status byte)."""
    body = bytes([hand_id, len(data) + 3, cmd, address & 0xFF, address >> 8]) + data
    return REPLY_HEAD + body + bytes([checksum(body)])
