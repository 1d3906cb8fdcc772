"""The Inspire emulator's native serial protocol, checked with the fact sheet's worked frames."""

from __future__ import annotations

import time

import pytest
import serial

from maniptrans_sim.mock.inspire import native


@pytest.fixture
def port(hand_factory):
    bench = hand_factory(protocol="native")
    ser = serial.Serial(bench.server.path, 115200, timeout=0.5)
    yield bench, ser
    ser.close()


def test_checksum_of_the_worked_read_frame() -> None:
    frame = bytes.fromhex("EB 90 01 04 11 0A 06 0C 32")
    assert native.checksum(frame[2:-1]) == frame[-1]


def test_worked_write_frame_sets_all_angles_and_is_acknowledged_in_9_bytes(port) -> None:
    bench, ser = port
    bench.device.write_registers(1486, [0] * 6)  # start closed so the write is visible
    ser.write(bytes.fromhex("EB 90 01 0F 12 CE 05 E8 03 E8 03 E8 03 E8 03 E8 03 E8 03 77"))
    ack = ser.read(9)
    assert len(ack) == 9 and ack[:2] == b"\x90\xeb" and ack[2] == 1
    assert native.checksum(ack[2:-1]) == ack[-1]
    assert bench.device.value("ANGLE_SET") == [1000] * 6


def test_worked_read_frame_returns_20_bytes_of_actual_angles(port) -> None:
    bench, ser = port
    bench.device.write_registers(1486, [300, 1000, 1000, 1000, 1000, 1000])
    time.sleep(1.0)
    ser.write(bytes.fromhex("EB 90 01 04 11 0A 06 0C 32"))
    reply = ser.read(20)
    assert len(reply) == 20 and reply[:2] == b"\x90\xeb"
    assert native.checksum(reply[2:-1]) == reply[-1]
    angles = [int.from_bytes(reply[7 + 2 * i : 9 + 2 * i], "little") for i in range(6)]
    assert angles[0] == pytest.approx(300, abs=10) and angles[1:] == [1000] * 5


def test_a_frame_with_a_bad_checksum_is_ignored(port) -> None:
    _, ser = port
    ser.write(bytes.fromhex("EB 90 01 04 11 0A 06 0C 33"))
    assert ser.read(20) == b""
    ser.write(bytes.fromhex("EB 90 01 04 11 0A 06 0C 32"))  # the next good one is answered
    assert len(ser.read(20)) == 20


def test_eight_bit_blocks_read_one_byte_per_actuator(port) -> None:
    bench, ser = port
    bench.device.raise_error(0, actuator=4)
    time.sleep(0.05)
    body = bytes([1, 4, 0x11, 1606 & 0xFF, 1606 >> 8, 6])
    ser.write(b"\xeb\x90" + body + bytes([native.checksum(body)]))
    reply = ser.read(14)
    assert list(reply[7:13]) == [0, 0, 0, 0, 1, 0]
