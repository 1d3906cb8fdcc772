"""The Inspire emulator checked by an independent Modbus implementation: pymodbus's client."""

from __future__ import annotations

import os
import time

import pytest
from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusIOException

from maniptrans_sim.mock.faults import parse_fault

ANGLE_SET, FORCE_SET, SPEED_SET, ANGLE_ACT, FORCE_ACT = 1486, 1498, 1522, 1546, 1582
ERROR, STATUS, TEMP, CLEAR_ERROR = 1606, 1612, 1618, 1004


def u8s(registers: list[int]) -> list[int]:
    """3 registers of an 8-bit block -> 6 values (low byte = lower actuator index)."""
    return [v for r in registers for v in (r & 0xFF, r >> 8)]


def wait_until(pred, timeout: float = 3.0) -> bool:
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


@pytest.fixture
def rtu(hand_factory):
    bench = hand_factory()
    client = ModbusSerialClient(port=bench.server.path, baudrate=115200, timeout=0.5, retries=0)
    assert client.connect()
    yield bench, client
    client.close()


def fails(client, address: int = ANGLE_ACT, count: int = 6) -> bool:
    """True when a read gets no valid answer (an error reply, a timeout or a closed link)."""
    try:
        return client.read_holding_registers(address, count=count, device_id=1).isError()
    except (ModbusIOException, ConnectionException):
        return True


def read(client, address: int, count: int) -> list[int]:
    rr = client.read_holding_registers(address, count=count, device_id=1)
    assert not rr.isError(), rr
    return rr.registers


def test_the_serial_port_appears_under_the_requested_symlink(rtu, tmp_path) -> None:
    bench, _ = rtu
    link = tmp_path / "right_hand"
    assert bench.server.path == str(link)
    assert os.path.realpath(link).startswith("/dev/pts/")


def test_power_on_state_reads_open_hand_at_rest(rtu) -> None:
    _, client = rtu
    assert read(client, ANGLE_ACT, 6) == [1000] * 6
    assert u8s(read(client, STATUS, 3)) == [2] * 6  # position reached
    assert u8s(read(client, ERROR, 3)) == [0] * 6
    assert u8s(read(client, TEMP, 3)) == [36] * 6
    assert read(client, 1000, 1) == [1]  # HAND_ID


def test_angle_set_moves_the_fingers_and_minus_one_leaves_an_actuator(rtu) -> None:
    bench, client = rtu
    wr = client.write_registers(ANGLE_SET, [200, 400, 600, 800, 500, 0xFFFF], device_id=1)
    assert not wr.isError()
    assert wait_until(lambda: u8s(read(client, STATUS, 3)) == [2] * 6)
    act = read(client, ANGLE_ACT, 6)
    assert act[:5] == pytest.approx([200, 400, 600, 800, 500], abs=10)
    assert act[5] == 1000  # -1: unchanged
    assert read(client, ANGLE_SET, 6)[5] == 1000
    q, _ = bench.model.hand_state("right")
    assert q[0] == pytest.approx(1.7 * 0.8, abs=0.02)  # 1000 = open, little finger at 200


def test_fingers_move_at_speed_set_and_report_grasping_while_moving(rtu) -> None:
    _, client = rtu
    client.write_registers(SPEED_SET, [250] * 6, device_id=1)
    client.write_registers(ANGLE_SET, [0] * 6, device_id=1)
    time.sleep(0.2)
    assert u8s(read(client, STATUS, 3))[:4] == [1] * 4  # grasping
    t0 = time.monotonic()
    assert wait_until(lambda: read(client, ANGLE_ACT, 6)[0] <= 10, timeout=5.0)
    elapsed = time.monotonic() - t0 + 0.2
    assert 2.4 < elapsed < 4.5  # full range at speed 250/1000 of 0.8 s


def test_a_finger_stops_at_force_set_until_a_new_position_command(rtu) -> None:
    bench, client = rtu
    bench.model.contact_angle["right"][3] = 0.8  # an object in the index finger's way
    client.write_registers(FORCE_SET, [300] * 6, device_id=1)
    client.write_registers(ANGLE_SET, [1000, 1000, 1000, 0, 1000, 1000], device_id=1)
    assert wait_until(lambda: u8s(read(client, STATUS, 3))[3] == 3)  # force reached
    force = read(client, FORCE_ACT, 6)[3]
    assert 300 <= force < 450  # grams-force, stopped close to the limit
    held = read(client, ANGLE_ACT, 6)[3]
    client.write_registers(FORCE_SET, [900] * 6, device_id=1)  # raising force alone: no restart
    time.sleep(0.3)
    assert read(client, ANGLE_ACT, 6)[3] == pytest.approx(held, abs=3)
    client.write_registers(ANGLE_SET, [0xFFFF, 0xFFFF, 0xFFFF, 0, 0xFFFF, 0xFFFF], device_id=1)
    assert wait_until(lambda: read(client, FORCE_ACT, 6)[3] >= 850)
    assert read(client, ANGLE_ACT, 6)[3] < held


def test_error_bits_latch_stop_the_finger_and_clear_on_clear_error(rtu) -> None:
    bench, client = rtu
    bench.device.raise_error(1, actuator=2)  # over-temperature on the middle finger
    time.sleep(0.05)
    assert u8s(read(client, ERROR, 3)) == [0, 0, 2, 0, 0, 0]
    assert u8s(read(client, TEMP, 3))[2] > 70
    assert u8s(read(client, STATUS, 3))[2] == 7  # fault
    client.write_registers(ANGLE_SET, [0] * 6, device_id=1)
    time.sleep(0.5)
    assert read(client, ANGLE_ACT, 6)[2] == 1000  # the faulty finger did not move
    assert client.write_register(CLEAR_ERROR, 1, device_id=1).isError() is False
    time.sleep(0.05)
    assert u8s(read(client, ERROR, 3)) == [0] * 6
    client.write_registers(ANGLE_SET, [0] * 6, device_id=1)
    assert wait_until(lambda: read(client, ANGLE_ACT, 6)[2] < 100)


def test_a_frozen_finger_latches_the_stall_bit(rtu) -> None:
    bench, client = rtu
    bench.runner.call_soon(lambda m: m.set_frozen("right", "hand", 0, True))
    client.write_registers(ANGLE_SET, [0] * 6, device_id=1)
    assert wait_until(lambda: u8s(read(client, ERROR, 3))[0] & 1)
    assert u8s(read(client, STATUS, 3))[0] == 6  # stall


def test_writing_a_read_only_register_is_refused_with_an_exception_reply(rtu) -> None:
    _, client = rtu
    rr = client.write_registers(ANGLE_ACT, [5] * 6, device_id=1)
    assert rr.isError() and rr.exception_code == 2  # illegal data address


def test_a_request_for_another_slave_id_gets_no_answer(rtu) -> None:
    _, client = rtu
    with pytest.raises(ModbusIOException):  # no reply at all, not even an exception reply
        client.read_holding_registers(ANGLE_ACT, count=6, device_id=7)
    assert read(client, ANGLE_ACT, 6) == [1000] * 6  # the line still works afterwards


def test_byte_pacing_makes_a_read_take_at_least_its_wire_time(hand_factory) -> None:
    bench = hand_factory(baudrate=9600, pace_bytes=True)
    client = ModbusSerialClient(port=bench.server.path, baudrate=9600, timeout=1.0, retries=0)
    client.connect()
    try:
        read(client, ANGLE_ACT, 6)
        t0 = time.perf_counter()
        for _ in range(3):
            read(client, ANGLE_ACT, 6)
        per_read = (time.perf_counter() - t0) / 3
        wire = (8 + 17) * 10 / 9600  # request 8 bytes + reply 17 bytes, 10 bits each
        assert wire <= per_read < wire + 0.05
    finally:
        client.close()


def test_modbus_tcp_serves_the_same_registers(hand_factory) -> None:
    bench = hand_factory(tcp=True)
    client = ModbusTcpClient("127.0.0.1", port=bench.server.tcp_port, timeout=1.0, retries=0)
    assert client.connect()
    try:
        client.write_registers(ANGLE_SET, [500] * 6, device_id=1)
        assert wait_until(lambda: read(client, ANGLE_ACT, 6) == pytest.approx([500] * 6, abs=10))
        assert bench.device.value("ANGLE_SET") == [500] * 6
    finally:
        client.close()


def test_serial_faults_drop_corrupt_delay_and_unplug_replies(rtu) -> None:
    bench, client = rtu
    bench.faults.apply(parse_fault("right_hand:drop=1"))
    assert fails(client)
    bench.faults.apply(parse_fault("right_hand:clear"))
    bench.faults.apply(parse_fault("right_hand:corrupt=1"))
    assert fails(client)  # the CRC no longer matches
    bench.faults.apply(parse_fault("right_hand:clear"))
    bench.faults.apply(parse_fault("right_hand:latency=0.2"))
    t0 = time.monotonic()
    read(client, ANGLE_ACT, 6)
    assert time.monotonic() - t0 >= 0.19
    bench.faults.apply(parse_fault("right_hand:clear"))
    bench.faults.apply(parse_fault("right_hand:disconnect_after=1"))
    read(client, ANGLE_ACT, 6)
    assert fails(client)
    assert fails(client)  # unplugged: stays silent
    kinds = [e.kind for e in bench.log.events("right_hand")]
    for k in ("drop", "corrupt", "disconnect"):
        assert k in kinds


def test_tcp_disconnect_fault_closes_the_client_connection(hand_factory) -> None:
    bench = hand_factory(tcp=True)
    client = ModbusTcpClient("127.0.0.1", port=bench.server.tcp_port, timeout=0.5, retries=0)
    assert client.connect()
    try:
        bench.faults.apply(parse_fault("right_hand:disconnect_after=0"))
        assert fails(client)
        assert bench.log.events("right_hand", "disconnect")
    finally:
        client.close()
