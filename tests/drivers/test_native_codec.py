"""Inspire native serial protocol (0xEB 0x90) against the worked frames of the facts sheet."""

from __future__ import annotations

import random

import pytest

from realman_inspire_driver.codecs import inspire_native as native
from realman_inspire_driver.errors import ChecksumError, ConfigError, FrameError
from realman_inspire_driver.inspire import registers as regs


def frame(text: str) -> bytes:
    return bytes.fromhex(text)


def reply(hand_id: int, cmd: int, address: int, data: bytes) -> bytes:
    body = bytes([hand_id, len(data) + 3, cmd]) + address.to_bytes(2, "little") + data
    return b"\x90\xeb" + body + bytes([sum(body) & 0xFF])


def test_angle_set_write_reproduces_the_worked_frame():
    data = regs.to_bytes(regs.ANGLE_SET, [1000] * 6)
    assert native.encode_write(1, regs.ANGLE_SET.address, data) == frame(
        "EB 90 01 0F 12 CE 05 E8 03 E8 03 E8 03 E8 03 E8 03 E8 03 77"
    )


def test_angle_act_read_reproduces_the_worked_frame():
    req = native.encode_read(1, regs.ANGLE_ACT.address, regs.ANGLE_ACT.n_bytes)
    assert req == frame("EB 90 01 04 11 0A 06 0C 32")


def test_a_twelve_byte_read_reply_is_twenty_bytes_and_decodes():
    values = [0, 250, 500, 750, 1000, -1]
    answer = reply(1, 0x11, 1546, regs.to_bytes(regs.ANGLE_ACT, values))
    assert len(answer) == 20
    assert native.reply_length(answer[:4]) == 20
    data = native.decode_read_reply(answer, 1, 1546, 12)
    assert regs.from_bytes(regs.ANGLE_ACT, data) == tuple(values)


def test_a_write_acknowledgement_is_nine_bytes_and_returns_its_status():
    ack = reply(1, 0x12, 1486, b"\x01")
    assert len(ack) == 9
    assert native.decode_write_reply(ack, 1, 1486) == 1


@pytest.mark.parametrize("array", regs.ARRAYS, ids=lambda a: a.name)
def test_every_register_array_round_trips_through_a_native_read_reply(array):
    rng = random.Random(array.address)
    for _ in range(50):
        if array.width == 1:
            values = [rng.randrange(256) for _ in range(6)]
        else:
            values = [rng.randrange(-32768, 32768) for _ in range(6)]
        answer = reply(9, 0x11, array.address, regs.to_bytes(array, values))
        data = native.decode_read_reply(answer, 9, array.address, array.n_bytes)
        assert regs.from_bytes(array, data) == tuple(values)


def test_a_wrong_checksum_raises_a_checksum_error():
    answer = bytearray(reply(1, 0x11, 1546, bytes(12)))
    answer[-1] ^= 0xFF
    with pytest.raises(ChecksumError, match="checksum mismatch"):
        native.decode_read_reply(bytes(answer), 1, 1546, 12)


def test_replies_for_another_hand_address_or_command_are_refused():
    with pytest.raises(FrameError, match="hand 2"):
        native.decode_read_reply(reply(2, 0x11, 1546, bytes(12)), 1, 1546, 12)
    with pytest.raises(FrameError, match="address 1582"):
        native.decode_read_reply(reply(1, 0x11, 1582, bytes(12)), 1, 1546, 12)
    with pytest.raises(FrameError, match="command 0x12"):
        native.decode_read_reply(reply(1, 0x12, 1546, bytes(12)), 1, 1546, 12)
    with pytest.raises(FrameError, match="6 data bytes"):
        native.decode_read_reply(reply(1, 0x11, 1546, bytes(6)), 1, 1546, 12)


def test_a_reply_without_the_90_eb_magic_is_refused():
    with pytest.raises(FrameError, match="90 EB"):
        native.reply_length(frame("EB 90 01 0F"))


def test_bad_requests_are_refused_before_reaching_the_wire():
    with pytest.raises(ConfigError):
        native.encode_read(0, 1546, 12)
    with pytest.raises(ConfigError):
        native.encode_read(1, 1546, 0)
    with pytest.raises(ConfigError):
        native.encode_write(1, 70000, b"\x00")
