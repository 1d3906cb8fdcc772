"""The RealMan arm client against a loopback TCP controller stub speaking the JSON protocol,
including split and merged packets, a dropped connection, a timeout and controller error codes."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from driver_counterparts import wait_until

from realman_inspire_driver.errors import (
    ConfigError,
    ConnectionLostError,
    DeviceTimeoutError,
    FrameError,
    LateReplyError,
)
from realman_inspire_driver.realman.client import ArmLinkConfig, RealManArm


@pytest.fixture
def arm(arm_stub):
    client = RealManArm(ArmLinkConfig(host="127.0.0.1", port=arm_stub.port, timeout=0.2))
    client.connect()
    yield client
    client.close()


def test_connect_reads_the_product_and_checks_seven_joints(arm, arm_stub):
    assert arm.info.product_version == "RM75-B" and arm.info.dof == 7
    arm.close()  # the stub, like the controller, serves one control connection at a time
    six = RealManArm(ArmLinkConfig(host="127.0.0.1", port=arm_stub.port, dof=6))
    with pytest.raises(ConfigError, match="7 joints\\), expected 6"):
        six.connect()
    assert not six.connected


def test_state_comes_back_in_radians(arm, arm_stub):
    arm_stub.joint = [1000, -2000, 3000, -4000, 5000, -6000, 90000]
    state = arm.get_state()
    np.testing.assert_allclose(state.q, np.radians([1, -2, 3, -4, 5, -6, 90]))
    assert state.errors == ()
    assert state.pose[2] == pytest.approx(0.8505)


def test_passthrough_sends_thousandths_of_a_degree_without_waiting(arm, arm_stub):
    q = np.radians([10.0, 20.0, -30.0, 0.0, 0.0, 0.0, 45.5])
    t0 = time.perf_counter()
    arm.stream(q)
    assert time.perf_counter() - t0 < 0.05
    assert wait_until(lambda: arm_stub.canfd_count() == 1)
    msg = arm_stub.received[-1]
    assert msg["joint"] == [10000, 20000, -30000, 0, 0, 0, 45500] and msg["follow"] is False
    np.testing.assert_allclose(arm.get_state().q, q, atol=math.radians(0.001))


def test_movej_is_accepted_and_its_arrival_is_seen_by_poll(arm, arm_stub):
    target = np.radians([5.0, 0, 0, 30.0, 0, 0, 0])
    arm.movej(target, speed_percent=10)
    assert arm_stub.received[-1]["v"] == 10
    assert wait_until(lambda: (arm.poll(), arm.last_trajectory)[1] is not None)
    assert arm.last_trajectory.success and not arm.last_trajectory.more_segments
    np.testing.assert_allclose(arm.get_state().q, target, atol=1e-5)


def test_replies_split_into_one_to_three_byte_segments_are_reassembled(arm, arm_stub):
    arm_stub.split_replies = True
    arm_stub.joint = [1234] * 7
    for _ in range(3):
        np.testing.assert_allclose(arm.get_state().q, np.radians([1.234] * 7))
    arm.stop()


def test_replies_merged_with_unsolicited_messages_in_one_segment_are_separated(arm, arm_stub):
    arm_stub.merge_replies = True
    arm_stub.joint = [500] * 7
    for _ in range(3):
        np.testing.assert_allclose(arm.get_state().q, np.radians([0.5] * 7))
    assert arm.last_trajectory is not None and arm.last_trajectory.success
    assert arm.unsolicited >= 5


def test_a_silent_controller_times_out_and_the_connection_is_closed(arm, arm_stub):
    arm_stub.silent = {"set_arm_stop"}  # a command's outcome is unknown: the link is dropped
    t0 = time.monotonic()
    with pytest.raises(DeviceTimeoutError, match="no 'set_arm_stop' reply"):
        arm.stop()
    assert 0.15 < time.monotonic() - t0 < 1.0
    assert not arm.connected
    with pytest.raises(ConnectionLostError, match="not connected"):
        arm.get_state()
    arm_stub.silent = set()
    arm.connect()
    assert arm.get_state().q.shape == (7,)


def test_a_late_state_reply_keeps_the_link_and_is_not_taken_for_the_next_one(arm, arm_stub):
    # the controller stalls 0.3 s on one state read: that read times out, the connection stays,
    # and the late reply (old joints) is dropped instead of answering the next read
    arm_stub.late_next, arm_stub.late_by = 1, 0.3
    with pytest.raises(LateReplyError, match="connection kept"):
        arm.get_state()
    assert arm.connected
    arm_stub.joint = [1000] * 7  # moved while the late reply was on its way
    np.testing.assert_allclose(arm.get_state().q, np.radians([1.0] * 7))
    assert arm.late_dropped == 1


def test_reads_that_keep_timing_out_close_the_link_after_max_owed(arm, arm_stub):
    from realman_inspire_driver.realman.client import MAX_OWED

    arm_stub.silent = {"get_current_arm_state"}
    for _ in range(MAX_OWED):
        with pytest.raises(LateReplyError):
            arm.get_state()
    with pytest.raises(DeviceTimeoutError) as info:
        arm.get_state()
    assert not isinstance(info.value, LateReplyError) and not arm.connected


def test_a_connection_dropped_mid_stream_raises_connection_lost(arm, arm_stub):
    arm_stub.drop_after = 3
    with pytest.raises(ConnectionLostError):
        for _ in range(20):
            arm.stream(np.zeros(7))
            arm.get_state()
    assert not arm.connected
    arm.connect()
    assert arm_stub.connections == 2
    arm.get_state()


def test_a_malformed_reply_line_is_a_frame_error(arm, arm_stub):
    arm_stub.garbage_next = True
    with pytest.raises(FrameError, match="not valid JSON"):
        arm.get_state()
    arm.connect()
    arm.get_state()


def test_controller_error_codes_are_reported_and_cleared(arm, arm_stub):
    arm_stub.errors = [0x100D]
    assert arm.get_state().errors == (0x100D,)
    assert arm.get_health().errors == (0x100D,)
    arm.clear_system_err()
    assert arm.get_state().errors == ()


def test_health_reports_joint_temperatures_in_celsius(arm):
    health = arm.get_health()
    np.testing.assert_allclose(health.temperature, 35.0)
    assert health.enabled == (True,) * 7


def test_connecting_to_a_closed_port_is_a_connection_error_naming_it():
    client = RealManArm(ArmLinkConfig(host="127.0.0.1", port=1, connect_timeout=0.5))
    with pytest.raises(ConnectionLostError, match=r"127\.0\.0\.1:1"):
        client.connect()
