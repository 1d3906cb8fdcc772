"""The Inspire hand client against real counterparts: pymodbus RTU on a pty pair, pymodbus TCP,
and a native-protocol hand on a pty pair, including the faults a real bus has."""

from __future__ import annotations

import pytest
from pymodbus.constants import ExcCodes

from realman_inspire_driver.errors import (
    ChecksumError,
    ConfigError,
    ConnectionLostError,
    DeviceFaultError,
    DeviceTimeoutError,
    ModbusExceptionError,
)
from realman_inspire_driver.inspire.client import InspireHand
from realman_inspire_driver.inspire.links import SerialLink
from realman_inspire_driver.inspire.transports import (
    HandLinkConfig,
    ModbusRtuTransport,
    NativeSerialTransport,
    open_transport,
)


@pytest.fixture
def rtu_client(rtu_hand):
    hand, bridge = rtu_hand
    link = SerialLink(bridge.client_path, 115200)
    client = InspireHand(ModbusRtuTransport(link, slave=1, timeout=0.1, byte_time=link.byte_time))
    yield client, hand, bridge
    client.close()


def test_rtu_angle_write_reaches_the_registers_and_reads_back(rtu_client):
    client, hand, _ = rtu_client
    client.set_angles([500, 500, 500, 500, 500, -1])
    assert hand.writes[-1] == (1486, [500] * 5 + [0xFFFF])
    assert client.read_angles() == (500, 500, 500, 500, 500, 1000)


def test_rtu_speed_and_force_writes_land_in_their_registers(rtu_client):
    client, hand, _ = rtu_client
    client.set_speeds([100, 200, 300, 400, 500, 600])
    client.set_forces([1000, 900, 800, 700, 600, 500])
    assert hand.get_array("SPEED_SET") == [100, 200, 300, 400, 500, 600]
    assert hand.get_array("FORCE_SET") == [1000, 900, 800, 700, 600, 500]


def test_rtu_reads_signed_forces_and_byte_packed_health(rtu_client):
    client, hand, _ = rtu_client
    hand.set_array("FORCE_ACT", [0xFFF6, 20, 0, 0, 0, 300])  # -10 g on the little finger
    hand.set_array("ERROR", [0x0100, 0, 0x0400])  # ring: stall; thumb rotation: over-current
    hand.set_array("STATUS", [0x0201, 0, 0])
    hand.set_array("TEMP", [0x2928, 0x2B2A, 0x2D2C])
    assert client.read_forces() == (-10, 20, 0, 0, 0, 300)
    health = client.read_health()
    assert health.errors == (0, 1, 0, 0, 0, 4)
    assert health.status == (1, 2, 0, 0, 0, 0)
    assert health.temperature == (40, 41, 42, 43, 44, 45)
    assert health.error_words() == {"ring": ("stall",), "thumb_rotation": ("over-current",)}


def test_rtu_error_bits_raise_a_device_fault_in_words_and_clear_error_resets_them(rtu_client):
    client, hand, _ = rtu_client
    hand.set_array("ERROR", [0x0002, 0, 0])  # little: over-temperature
    with pytest.raises(DeviceFaultError, match="little: over-temperature") as info:
        client.check_errors()
    assert info.value.words == ("little: over-temperature",)
    client.clear_error()
    assert hand.writes[-1] == (1004, [1])
    assert client.check_errors().errors == (0,) * 6


def test_rtu_a_crc_corrupted_reply_is_retried_and_counted(rtu_client):
    client, _, bridge = rtu_client
    bridge.inject("corrupt")
    assert client.read_angles() == (1000,) * 6
    assert client.retries_used == 1
    assert client.transport.stats.checksum_errors == 1


def test_rtu_a_crc_error_on_every_attempt_surfaces_as_a_checksum_error(rtu_client):
    client, _, bridge = rtu_client
    for _ in range(3):
        bridge.inject("corrupt")
    with pytest.raises(ChecksumError, match="CRC mismatch"):
        client.read_angles()
    assert client.read_angles() == (1000,) * 6  # the line recovers


def test_rtu_a_silent_hand_times_out_after_bounded_retries(rtu_client):
    client, _, bridge = rtu_client
    for _ in range(3):
        bridge.inject("drop")
    with pytest.raises(DeviceTimeoutError, match="0 of 2 reply bytes"):
        client.read_angles()
    assert client.transport.stats.timeouts == 3
    assert client.read_angles() == (1000,) * 6


def test_rtu_a_truncated_reply_times_out_and_the_line_resynchronises(rtu_client):
    client, _, bridge = rtu_client
    client.read_retries = 0
    bridge.inject("truncate")
    with pytest.raises(DeviceTimeoutError):
        client.read_angles()
    assert client.read_angles() == (1000,) * 6


def test_rtu_a_late_reply_to_a_timed_out_read_is_dropped_not_taken_for_the_next(rtu_hand):
    _, bridge = rtu_hand
    link = SerialLink(bridge.client_path, 115200)
    transport = ModbusRtuTransport(link, slave=1, timeout=0.1, byte_time=link.byte_time)
    client = InspireHand(transport, read_retries=0)
    try:
        bridge.inject("delay:0.24")  # after the read timed out (0.1 s) and 0.1 s of silence
        with pytest.raises(DeviceTimeoutError):
            client.read_angles()
        client.set_angles([700] * 6)  # its reply follows the late read reply
        assert transport.stats.stale_replies == 1
        assert client.read_angles() == (700,) * 6
    finally:
        client.close()


def test_rtu_a_modbus_exception_reply_is_reported_and_not_retried(rtu_client):
    client, hand, _ = rtu_client
    hand.fail_next = ExcCodes.DEVICE_BUSY
    with pytest.raises(ModbusExceptionError, match="code 6 \\(device busy\\)"):
        client.read_angles()
    assert client.retries_used == 0
    hand.fail_next = ExcCodes.ILLEGAL_ADDRESS
    with pytest.raises(ModbusExceptionError, match="illegal address"):
        client.set_angles([0] * 6)


def test_rtu_writes_are_never_retried(rtu_client):
    client, hand, bridge = rtu_client
    bridge.inject("drop")
    n = len(hand.writes)
    with pytest.raises(DeviceTimeoutError):
        client.set_angles([10] * 6)
    assert len(hand.writes) == n + 1


def test_out_of_range_commands_never_reach_the_wire(rtu_client):
    client, hand, _ = rtu_client
    n = len(hand.writes)
    with pytest.raises(ConfigError, match="ANGLE_SET"):
        client.set_angles([0, 0, 0, 0, 0, 1200])
    assert len(hand.writes) == n


def test_modbus_tcp_transport_speaks_to_the_tcp_hand(tcp_hand):
    cfg = HandLinkConfig(protocol="modbus_tcp", host="127.0.0.1", tcp_port=tcp_hand.tcp_port)
    client = InspireHand(open_transport(cfg))
    try:
        client.set_angles([100, 200, 300, 400, 500, 600])
        assert client.read_angles() == (100, 200, 300, 400, 500, 600)
        tcp_hand.fail_next = ExcCodes.ILLEGAL_VALUE
        with pytest.raises(ModbusExceptionError, match="illegal value"):
            client.read_forces()
        assert client.read_temperatures() == (30,) * 6
    finally:
        client.close()


def test_native_protocol_writes_and_reads_back_angles(native_hand):
    hand, bridge = native_hand
    link = SerialLink(bridge.client_path, 115200)
    client = InspireHand(NativeSerialTransport(link, hand_id=1, timeout=0.1))
    try:
        assert client.read_angles() == (1000,) * 6
        client.set_angles([0, 100, 200, 300, 400, -1])
        assert client.read_angles() == (0, 100, 200, 300, 400, 1000)
        bridge.inject("corrupt")
        assert client.read_angles() == (0, 100, 200, 300, 400, 1000)
        assert client.transport.stats.checksum_errors == 1
        hand.silent_next = 3
        with pytest.raises(DeviceTimeoutError):
            client.read_forces()
    finally:
        client.close()


def test_a_missing_serial_port_is_a_connection_error_naming_the_port():
    with pytest.raises(ConnectionLostError, match="/dev/does-not-exist"):
        open_transport(HandLinkConfig(port="/dev/does-not-exist"))


def test_link_config_rejects_an_unknown_protocol_and_maps_the_native_alias():
    with pytest.raises(ConfigError, match="modbus_rtu"):
        HandLinkConfig(protocol="canbus")
    assert HandLinkConfig(protocol="native").protocol == "inspire_serial"
