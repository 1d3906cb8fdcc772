"""The drivers' pure clients and the emulators meet over real sockets and ptys (full MockRig)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from maniptrans_sim.mock.rig import MockRig, MockRigConfig

rc = pytest.importorskip("realman_inspire_driver.realman.client")
ic = pytest.importorskip("realman_inspire_driver.inspire.client")
links = pytest.importorskip("realman_inspire_driver.inspire.links")
transports = pytest.importorskip("realman_inspire_driver.inspire.transports")
errors = pytest.importorskip("realman_inspire_driver.errors")


def wait_until(pred, timeout: float = 5.0, step: float = 0.02) -> bool:
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        if pred():
            return True
        time.sleep(step)
    return pred()


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    cfg = MockRigConfig(
        arm_ports={"left": 0, "right": 0},
        hand_dir=str(tmp_path_factory.mktemp("hands")),
        hand_tcp=True,
        hand_tcp_ports={"left": 0, "right": 0},
    )
    with MockRig(cfg) as r:
        yield r


@pytest.fixture
def arm(rig):
    ep = rig.endpoints()["left"]
    client = rc.RealManArm(rc.ArmLinkConfig(host=ep.arm_host, port=ep.arm_port, timeout=0.5))
    client.connect()
    yield client
    try:
        client.clear_system_err()
    finally:
        client.close()


@pytest.fixture
def hand(rig):
    ep = rig.endpoints()["right"]
    link = links.SerialLink(ep.hand_port, ep.hand_baudrate)
    h = ic.InspireHand(transports.ModbusRtuTransport(link, slave=1, timeout=0.1))
    yield h
    h.clear_error()
    h.set_angles([1000] * 6)
    h.close()


def test_driver_movej_moves_the_twin_and_state_replies_report_it(rig, arm) -> None:
    goal = np.deg2rad([20.0, 30.0, 0.0, 45.0, 0.0, 20.0, 0.0])
    arm.movej(goal, 60)

    def arrived() -> bool:
        arm.poll()
        return arm.last_trajectory is not None

    assert wait_until(arrived)
    assert arm.last_trajectory.success
    state = arm.get_state()
    np.testing.assert_allclose(state.q, goal, atol=np.deg2rad(0.3))
    np.testing.assert_allclose(rig.snapshot().arm_q["left"], goal, atol=np.deg2rad(0.3))
    assert state.errors == ()


def test_driver_stream_is_followed_by_the_twin(rig, arm) -> None:
    q0 = rig.snapshot().arm_q["left"].copy()
    for k in range(1, 51):
        q = q0.copy()
        q[0] += np.deg2rad(0.2) * k
        arm.stream(q)
        time.sleep(0.01)
    target = q0[0] + np.deg2rad(10.0)
    assert wait_until(lambda: abs(arm.get_state().q[0] - target) < np.deg2rad(0.3))
    assert rig.snapshot().arm_q["left"][0] == pytest.approx(target, abs=np.deg2rad(0.3))


def test_controller_rules_reach_the_driver_as_error_codes(rig, arm) -> None:
    # the driver refuses such a target itself, so send the raw request over its connection
    line = b'{"command":"movej","v":50,"joint":[0,140000,0,0,0,0,0],"trajectory_connect":0}\r\n'
    assert arm.request(line, "movej")["receive_state"] is False  # joint 2 limit is 130 deg
    assert 0x1002 in arm.get_state().errors
    arm.clear_system_err()
    assert arm.get_state().errors == ()


def test_injected_arm_collision_and_frozen_joint_show_in_driver_state(rig, arm) -> None:
    rig.inject("left_arm:error=0x100D")
    assert 0x100D in arm.get_state().errors
    arm.clear_system_err()
    rig.inject("left_arm:freeze=5")
    try:
        q = arm.get_state().q
        q[5] += np.deg2rad(40.0)
        arm.movej(q, 100)
        assert wait_until(lambda: arm.get_health().joint_errors[5] & 0x0800)
    finally:
        rig.inject("left_arm:clear")
    assert rig.log.events("left_arm", "freeze:armed")


def test_the_state_push_reports_what_the_state_reply_does(rig, arm) -> None:
    goal = np.deg2rad([10.0, 20.0, 0.0, 30.0, 0.0, 10.0, 0.0])
    arm.start_push(0, 0.01)  # a free port
    assert arm.pushing and arm.push_port > 0
    arm.movej(goal, 60)

    def arrived() -> bool:
        arm.poll()
        return arm.last_trajectory is not None

    assert wait_until(arrived)
    time.sleep(0.05)  # a push after the arrival
    pushed = arm.pushed_state()
    assert pushed is not None and arm.pushes >= 5
    polled = arm.get_state()
    np.testing.assert_allclose(pushed.q, polled.q, atol=np.deg2rad(0.05))
    np.testing.assert_allclose(pushed.pose, polled.pose, atol=1e-3)
    assert pushed.errors == polled.errors == ()
    assert arm.pushed_state() is None or arm.pushes > 5  # only what came since the last call


def test_a_push_port_already_taken_is_a_transport_error_naming_it(rig, arm) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("0.0.0.0", 0))
        port = taken.getsockname()[1]
        with pytest.raises(errors.TransportError, match=f"UDP {port}"):
            arm.start_push(port, 0.01)
    assert not arm.pushing


def test_driver_hand_commands_move_the_twin_fingers_and_come_back(rig, hand) -> None:
    hand.set_speeds([1000] * 6)
    hand.set_angles([200, 400, 600, 800, 500, 1000])
    assert wait_until(lambda: max(abs(a - b) for a, b in zip(
        hand.read_angles(), [200, 400, 600, 800, 500, 1000], strict=True)) <= 10)  # fmt: skip
    q = rig.snapshot().hand_q["right"]
    assert q[0] == pytest.approx(1.7 * 0.8, abs=0.03)  # little finger, 1000 = open
    assert q[3] == pytest.approx(1.7 * 0.2, abs=0.03)


def test_injected_hand_error_bits_reach_the_driver_until_cleared(rig, hand) -> None:
    rig.inject("right_hand:error=over_temperature@2")
    health = hand.read_health()
    assert health.errors[2] & 0b10 and health.temperature[2] > 70
    hand.clear_error()
    assert hand.read_health().errors == (0,) * 6


def test_hand_link_faults_reach_the_driver_as_errors(rig, hand) -> None:
    rig.inject("right_hand:drop=1")
    try:
        with pytest.raises(errors.DriverError):
            hand.read_angles()
    finally:
        rig.inject("right_hand:clear")
    assert len(hand.read_angles()) == 6


def test_driver_modbus_tcp_transport_reads_the_same_hand(rig) -> None:
    ep = rig.endpoints()["left"]
    link = links.TcpLink(ep.arm_host, ep.hand_tcp_port)
    h = ic.InspireHand(transports.ModbusTcpTransport(link, unit=1))
    try:
        h.set_angles([500] * 6)
        assert wait_until(lambda: max(abs(a - 500) for a in h.read_angles()) <= 10)
    finally:
        h.set_angles([1000] * 6)
        h.close()


def test_driver_native_transport_talks_to_a_native_hand(hand_factory) -> None:
    bench = hand_factory(protocol="native")
    link = links.SerialLink(bench.server.path, 115200)
    h = ic.InspireHand(transports.NativeSerialTransport(link, hand_id=1, timeout=0.1))
    try:
        h.set_angles([300] * 6)
        assert wait_until(lambda: max(abs(a - 300) for a in h.read_angles()) <= 10)
        assert bench.device.value("ANGLE_SET") == [300] * 6
    finally:
        h.close()


def test_parameter_file_names_every_driver_endpoint(rig, tmp_path) -> None:
    import yaml

    doc = yaml.safe_load(rig.write_parameters(tmp_path / "drivers.yaml").read_text())
    eps = rig.endpoints()
    for side in ("left", "right"):
        arm = doc[f"{side}_realman_driver"]["ros__parameters"]
        assert (arm["host"], arm["port"]) == (eps[side].arm_host, eps[side].arm_port)
        assert arm["state_push"] is True  # the emulated controllers push their state
        hand = doc[f"{side}_inspire_driver"]["ros__parameters"]
        assert hand["port"] == eps[side].hand_port
        assert hand["protocol"] == "modbus_rtu" and hand["baudrate"] == 115200
        # the emulators' reply deadline reaches both drivers (hardware configs keep theirs)
        assert arm["timeout"] == hand["timeout"] == rig.config.driver_timeout > 0.05


def test_the_arm_driver_streams_on_pushed_state_without_polling(rig) -> None:
    from realman_inspire_driver.loop import Backoff
    from realman_inspire_driver.realman.driver import ArmDriver, ArmDriverConfig
    from realman_inspire_driver.safety.gate import SafetyConfig, SafetyGate
    from realman_inspire_driver.safety.limits import arm_limits

    ep = rig.endpoints()["right"]
    period = 0.01
    gate = SafetyGate(arm_limits("right"), SafetyConfig(period=period))
    link = rc.ArmLinkConfig(host=ep.arm_host, port=ep.arm_port, timeout=0.5)
    config = ArmDriverConfig(link=link, state_push=True, push_period=period)  # any free port
    driver = ArmDriver(config, gate, backoff=Backoff(initial=0.05))
    polls = []
    get_state = driver.client.get_state
    driver.client.get_state = lambda: polls.append(1) or get_state()
    target = rig.snapshot().arm_q["right"] + np.deg2rad(3.0)
    try:
        t_end = time.monotonic() + 8.0
        while time.monotonic() < t_end and not (
            driver.gate.ready and np.allclose(driver.measurement.position, target, atol=1e-3)
        ):
            now = time.monotonic()
            driver.offer(now, target)
            driver.tick(now)
            time.sleep(max(0.0, period - (time.monotonic() - now)))
        assert driver.gate.ready, driver.status()
        np.testing.assert_allclose(driver.measurement.position, target, atol=1e-3)
        np.testing.assert_allclose(rig.snapshot().arm_q["right"], target, atol=1e-3)
        push = driver.status()["state_push"]
        assert push["received"] > 50
        # the state came by push: the TCP polls are the connect one and the rare stale periods
        assert len(polls) == 1 + push["stale_periods"] and push["stale_periods"] < 10, push
    finally:
        driver.disconnect(time.monotonic())
