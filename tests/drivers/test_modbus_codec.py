"""Modbus RTU/TCP codecs against the worked frames of facts/inspire_protocol.md, byte for byte."""

from __future__ import annotations

import random
import struct

import pytest
from pymodbus.framer import FramerRTU

from realman_inspire_driver.codecs import modbus_pdu, modbus_rtu, modbus_tcp
from realman_inspire_driver.errors import (
    ChecksumError,
    ConfigError,
    FrameError,
    ModbusExceptionError,
)
from realman_inspire_driver.inspire import registers as regs


def frame(text: str) -> bytes:
    return bytes.fromhex(text)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            [1000] * 6,
            "01 10 05 CE 00 06 0C 03 E8 03 E8 03 E8 03 E8 03 E8 03 E8 22 EF",
        ),
        (
            [500] * 5 + [-1],
            "01 10 05 CE 00 06 0C 01 F4 01 F4 01 F4 01 F4 01 F4 FF FF C4 FA",
        ),
    ],
)
def test_angle_set_write_reproduces_the_worked_frame(values, expected):
    words = regs.to_registers(regs.ANGLE_SET, regs.check_values(regs.ANGLE_SET, values))
    req = modbus_pdu.write_multiple_request(regs.ANGLE_SET.address, words)
    assert modbus_rtu.encode_request(1, req) == frame(expected)


def test_angle_set_write_reply_of_the_facts_is_accepted():
    req = modbus_pdu.write_multiple_request(1486, [1000] * 6)
    assert modbus_rtu.decode_reply(req, 1, frame("01 10 05 CE 00 06 21 38")) == ()


def test_angle_act_read_reproduces_the_worked_frame():
    req = modbus_pdu.read_request(regs.ANGLE_ACT.address, regs.ANGLE_ACT.n_registers)
    assert modbus_rtu.encode_request(1, req) == frame("01 03 06 0A 00 06 E5 42")


def test_clear_error_reproduces_the_worked_frame():
    req = modbus_pdu.write_request(regs.CLEAR_ERROR, [1])
    assert modbus_rtu.encode_request(1, req) == frame("01 06 03 EC 00 01 89 BB")


def test_crc_matches_the_modbus_specification_example():
    assert modbus_rtu.crc16(frame("11 03 00 6B 00 03")).to_bytes(2, "little") == frame("76 87")


def test_crc_agrees_with_pymodbus_on_random_data():
    rng = random.Random(1)
    for _ in range(200):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 60)))
        assert modbus_rtu.crc16(data) == int.from_bytes(
            FramerRTU.compute_CRC(data).to_bytes(2, "big"), "little"
        )


def read_reply_frame(slave: int, words: list[int]) -> bytes:
    body = bytes([slave, 3, 2 * len(words)]) + struct.pack(f">{len(words)}H", *words)
    return body + modbus_rtu.crc16(body).to_bytes(2, "little")


def random_elements(array: regs.RegisterArray, rng: random.Random) -> list[int]:
    if array.width == 1:
        return [rng.randrange(256) for _ in range(6)]
    return [rng.randrange(-32768, 32768) for _ in range(6)]


@pytest.mark.parametrize("array", regs.ARRAYS, ids=lambda a: a.name)
def test_every_register_array_round_trips_through_an_rtu_read_reply(array):
    rng = random.Random(array.address)
    for _ in range(50):
        values = random_elements(array, rng)
        if not array.signed and array.width == 2:
            values = [v & 0xFFFF for v in values]
        words = regs.to_registers(array, values)
        req = modbus_pdu.read_request(array.address, array.n_registers)
        got = modbus_rtu.decode_reply(req, 7, read_reply_frame(7, words))
        assert regs.from_registers(array, got) == tuple(values)


@pytest.mark.parametrize("array", [a for a in regs.ARRAYS if a.writable], ids=lambda a: a.name)
def test_every_writable_array_round_trips_through_an_rtu_write_request(array):
    values = [array.lo, array.hi, -1, (array.lo + array.hi) // 2, array.hi - 1, array.lo + 1]
    words = regs.to_registers(array, regs.check_values(array, values))
    adu = modbus_rtu.encode_request(3, modbus_pdu.write_multiple_request(array.address, words))
    pdu = modbus_rtu.decode_adu(3, adu)
    assert pdu[0] == 0x10 and struct.unpack(">HHB", pdu[1:6]) == (array.address, 6, 12)
    assert regs.from_registers(array, struct.unpack(">6H", pdu[6:])) == tuple(values)


def test_uint8_arrays_pack_the_lower_actuator_into_the_low_byte():
    assert regs.to_registers(regs.ERROR, [1, 2, 3, 4, 5, 6]) == [0x0201, 0x0403, 0x0605]
    assert regs.from_registers(regs.TEMP, [0x2A29, 0x2C2B, 0x2E2D]) == (41, 42, 43, 44, 45, 46)


def test_a_corrupted_crc_raises_a_checksum_error_naming_both_values():
    good = read_reply_frame(1, [1, 2, 3, 4, 5, 6])
    bad = good[:-1] + bytes([good[-1] ^ 0x01])
    req = modbus_pdu.read_request(1546, 6)
    with pytest.raises(ChecksumError, match="CRC mismatch"):
        modbus_rtu.decode_reply(req, 1, bad)
    flipped = good[:5] + bytes([good[5] ^ 0x40]) + good[6:]
    with pytest.raises(ChecksumError):
        modbus_rtu.decode_reply(req, 1, flipped)


def test_an_exception_reply_raises_with_its_code_and_name():
    body = bytes([1, 0x83, 0x02])
    reply = body + modbus_rtu.crc16(body).to_bytes(2, "little")
    req = modbus_pdu.read_request(1546, 6)
    assert modbus_rtu.reply_length(req, reply[:2]) == 5
    with pytest.raises(ModbusExceptionError, match="illegal address") as info:
        modbus_rtu.decode_reply(req, 1, reply)
    assert (info.value.function_code, info.value.exception_code) == (3, 2)


def test_a_reply_from_another_slave_or_with_a_wrong_count_is_refused():
    req = modbus_pdu.read_request(1546, 6)
    with pytest.raises(FrameError, match="slave 2"):
        modbus_rtu.decode_reply(req, 1, read_reply_frame(2, [0] * 6))
    with pytest.raises(FrameError, match="must be 14 bytes"):
        modbus_rtu.decode_reply(req, 1, read_reply_frame(1, [0] * 5))


def test_a_write_reply_echoing_another_address_is_refused():
    req = modbus_pdu.write_multiple_request(1486, [1000] * 6)
    body = bytes([1, 0x10]) + struct.pack(">HH", 1498, 6)
    with pytest.raises(FrameError, match="echoes address 1498"):
        modbus_rtu.decode_reply(req, 1, body + modbus_rtu.crc16(body).to_bytes(2, "little"))


def test_reply_length_is_known_from_the_first_two_bytes():
    assert modbus_rtu.reply_length(modbus_pdu.read_request(1546, 6), b"\x01\x03") == 17
    assert modbus_rtu.reply_length(modbus_pdu.write_request(1004, [1]), b"\x01\x06") == 8
    with pytest.raises(FrameError, match="function 0x10"):
        modbus_rtu.reply_length(modbus_pdu.read_request(1546, 6), b"\x01\x10")


def test_bad_requests_are_refused_before_reaching_the_wire():
    with pytest.raises(ConfigError):
        modbus_pdu.read_request(1546, 0)
    with pytest.raises(ConfigError):
        modbus_pdu.write_request(65535, [1, 2])
    with pytest.raises(ConfigError):
        modbus_pdu.write_request(1486, [70000])
    with pytest.raises(ConfigError):
        modbus_rtu.encode_adu(0, b"\x03")
    with pytest.raises(ConfigError, match=r"ANGLE_SET\[2\] = 1001"):
        regs.check_values(regs.ANGLE_SET, [0, 0, 1001, 0, 0, 0])
    with pytest.raises(ConfigError, match="6 values"):
        regs.check_values(regs.SPEED_SET, [0] * 5)
    with pytest.raises(ConfigError, match="read-only"):
        regs.check_values(regs.ANGLE_ACT, [0] * 6)


def test_modbus_tcp_frames_carry_the_mbap_header_and_check_the_transaction():
    req = modbus_pdu.read_request(1546, 6)
    adu = modbus_tcp.encode_request(0x1234, 1, req)
    assert adu == frame("12 34 00 00 00 06 01 03 06 0A 00 06")
    pdu = bytes([3, 12]) + struct.pack(">6H", *range(6))
    header = struct.pack(">HHHB", 0x1234, 0, len(pdu) + 1, 1)
    assert modbus_tcp.decode_reply(req, 0x1234, 1, header, pdu) == tuple(range(6))
    with pytest.raises(FrameError, match="transaction id 4660, expected 4661"):
        modbus_tcp.decode_reply(req, 0x1235, 1, header, pdu)
    with pytest.raises(FrameError, match="protocol id"):
        modbus_tcp.decode_header(struct.pack(">HHHB", 1, 5, 3, 1))


def test_error_bits_and_status_codes_decode_to_words():
    assert regs.decode_error_bits(0b10011) == ("stall", "over-temperature", "communication")
    assert regs.decode_error_bits(0) == ()
    assert regs.decode_error_bits(0x80) == ("bit7",)
    assert regs.decode_status(2) == "position reached"
    assert "unknown" in regs.decode_status(4)
