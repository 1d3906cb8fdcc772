"""The driver nodes as real processes against the device counterparts: contract topic and
service names, soft start before streaming, e-stop across drivers, and surviving a lost device."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from driver_counterparts import wait_until

pytestmark = [pytest.mark.ros, pytest.mark.slow]

rclpy = pytest.importorskip("rclpy")
from diagnostic_msgs.msg import DiagnosticArray  # noqa: E402
from sensor_msgs.msg import JointState  # noqa: E402
from std_srvs.srv import Trigger  # noqa: E402

PKG = "realman_inspire_driver"


class Streamer:
    """Publishes a fixed JointState command at ``rate`` Hz from a thread."""

    def __init__(self, node, topic: str, names: list[str], q, rate: float = 60.0) -> None:
        self.pub = node.create_publisher(JointState, topic, 10)
        self.names, self.q, self.period = names, list(q), 1.0 / rate
        self._stop = threading.Event()
        self._node = node
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            msg = JointState()
            msg.header.stamp = self._node.get_clock().now().to_msg()
            msg.name = self.names
            msg.position = [float(x) for x in self.q]
            self.pub.publish(msg)
            time.sleep(self.period)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(1)


class Listener:
    """Keeps the last message of a topic and, for /diagnostics, the last status per name."""

    def __init__(self, node, msg_type, topic: str) -> None:
        self.last = None
        self.count = 0
        self.diag: dict[str, dict[str, str]] = {}
        node.create_subscription(msg_type, topic, self._on, 50)

    def _on(self, msg) -> None:
        self.last = msg
        self.count += 1
        if isinstance(msg, DiagnosticArray):
            for status in msg.status:
                values = {kv.key: kv.value for kv in status.values}
                values["_message"] = status.message
                self.diag[status.name] = values


def call(node, service: str, timeout: float = 5.0) -> Trigger.Response:
    client = node.create_client(Trigger, service)
    assert client.wait_for_service(timeout_sec=timeout), f"service {service} not offered"
    future = client.call_async(Trigger.Request())
    assert wait_until(future.done, timeout), f"no answer from {service}"
    return future.result()


def diag_of(listener: Listener, node_name: str) -> dict[str, str]:
    for name, values in listener.diag.items():
        if name.startswith(f"{node_name}: "):
            return values
    return {}


def test_realman_driver_soft_starts_streams_estops_and_survives_a_dropped_controller(
    launch_node, ros_node, arm_stub, tmp_path
):
    arm_stub.joint = [5000] * 7
    params = tmp_path / "endpoints.yaml"  # like the mock rig's endpoint file, renamed node
    params.write_text(
        "/**:\n  ros__parameters:\n"
        f"    side: right\n    host: 127.0.0.1\n    port: {arm_stub.port}\n"
    )
    node = launch_node(
        "realman_driver",
        package=PKG,
        params_file=params,
        name="right_realman_driver",
        wait_topics=["/right/arm/joint_states", "/diagnostics"],
    )
    peer = ros_node.node
    states = Listener(peer, JointState, "/right/arm/joint_states")
    diags = Listener(peer, DiagnosticArray, "/diagnostics")
    assert wait_until(lambda: states.last is not None, 10)
    assert list(states.last.name) == [f"right_arm_joint_{i}" for i in range(1, 8)]
    np.testing.assert_allclose(states.last.position, np.radians([5.0] * 7), atol=1e-6)
    assert arm_stub.canfd_count() == 0  # nothing streams without commands

    names = [f"right_arm_joint_{i}" for i in range(1, 8)]
    target = np.radians([0.0, 10.0, 0.0, 20.0, 0.0, 10.0, 0.0])
    streamer = Streamer(peer, "/right/arm/command", names, target)
    try:
        assert wait_until(
            lambda: diag_of(diags, "right_realman_driver").get("ready") == "true", 10
        )
        movej = [m for m in arm_stub.received if m["command"] == "movej"]
        assert len(movej) == 1 and movej[0]["joint"] == [0, 10000, 0, 20000, 0, 10000, 0]
        assert wait_until(lambda: arm_stub.canfd_count() > 20, 5)
        values = diag_of(diags, "right_realman_driver")
        assert values["connected"] == "true" and float(values["loop_rate_hz"]) == 100.0
        assert "rejected" in values and "loop_jitter_p99_ms" in values

        response = call(peer, "/estop")
        assert response.success, response.message
        assert any(m["command"] == "set_arm_stop" for m in arm_stub.received)
        n = arm_stub.canfd_count()
        time.sleep(0.3)
        assert arm_stub.canfd_count() == n
        assert call(peer, "/estop_reset").success
        assert wait_until(lambda: arm_stub.canfd_count() > n + 10, 10)
        assert sum(m["command"] == "movej" for m in arm_stub.received) == 2  # soft start again

        arm_stub.drop_after = 0
        assert wait_until(lambda: arm_stub.connections >= 2, 10)
        assert wait_until(
            lambda: sum(m["command"] == "movej" for m in arm_stub.received) == 3, 10
        ), "no new soft start after the reconnect"
        assert wait_until(
            lambda: diag_of(diags, "right_realman_driver").get("ready") == "true", 10
        )
        assert node.alive()
    finally:
        streamer.stop()
    assert node.terminate() == 0, node.log()  # Ctrl-C ends the node cleanly...
    assert "Traceback" not in node.log(), node.log()  # ...its loop thread included


def test_inspire_driver_ramps_streams_and_one_estop_stops_both_drivers(
    launch_node, ros_node, rtu_hand, arm_stub
):
    hand, bridge = rtu_hand
    hand_node = launch_node(
        "inspire_driver",
        package=PKG,
        params={"side": "left", "port": bridge.client_path, "soft_start_velocity": 3.0},
        wait_topics=["/left/hand/joint_states"],
    )
    arm_node = launch_node(
        "realman_driver",
        package=PKG,
        params={"side": "left", "host": "127.0.0.1", "port": arm_stub.port},
        wait_topics=["/left/arm/joint_states"],
    )
    peer = ros_node.node
    states = Listener(peer, JointState, "/left/hand/joint_states")
    diags = Listener(peer, DiagnosticArray, "/diagnostics")
    hand.set_array("FORCE_ACT", [100] * 6)
    # wait for a state read after the write (the register may hold another value before it)
    grams_100 = 100 * 9.80665e-3  # [N]
    assert wait_until(
        lambda: states.last is not None and abs(states.last.effort[0] - grams_100) < 1e-6, 10
    )
    assert list(states.last.name) == [
        f"left_hand_{a}"
        for a in ("little", "ring", "middle", "index", "thumb_bend", "thumb_rotation")
    ]
    np.testing.assert_allclose(states.last.effort, [grams_100] * 6, rtol=1e-6)

    hand_names = list(states.last.name)
    arm_names = [f"left_arm_joint_{i}" for i in range(1, 8)]
    hand_cmd = Streamer(peer, "/left/hand/command", hand_names, [0.85] * 4 + [0.25, 0.6])
    arm_cmd = Streamer(peer, "/left/arm/command", arm_names, np.zeros(7))
    try:
        assert wait_until(lambda: diag_of(diags, "inspire_driver").get("ready") == "true", 10)
        assert wait_until(lambda: hand.get_array("ANGLE_SET")[0] == 500, 5)
        assert wait_until(lambda: diag_of(diags, "realman_driver").get("ready") == "true", 10)

        hand.set_array("ERROR", [0x0400, 0, 0])  # ring: over-current
        assert wait_until(lambda: diag_of(diags, "inspire_driver").get("mode") == "fault", 5)
        assert "over-current" in diag_of(diags, "inspire_driver")["_message"]
        assert call(peer, "/left/hand/clear_error").success
        assert wait_until(lambda: diag_of(diags, "inspire_driver").get("ready") == "true", 10)

        assert call(peer, "/estop").success
        assert wait_until(
            lambda: (
                diag_of(diags, "inspire_driver").get("mode") == "latched"
                and diag_of(diags, "realman_driver").get("mode") == "latched"
            ),
            5,
        ), "one /estop call must latch every driver"
        writes = len(hand.writes)
        time.sleep(0.3)
        assert len(hand.writes) == writes
        assert hand_node.alive() and arm_node.alive()
    finally:
        hand_cmd.stop()
        arm_cmd.stop()
    for node in (hand_node, arm_node):  # SIGINT while the loops publish at their rates
        assert node.terminate() == 0, node.log()
        assert "Traceback" not in node.log(), node.log()


def test_diagnostics_keep_their_rate_while_slow_replies_stretch_every_tick(
    launch_node, ros_node, rtu_hand
):
    """Diagnostics go out on the clock, not every n-th tick: with each reply 0.12 s late a tick
    takes ~0.25 s (two reads, no command to write); a report every 25 ticks would come every
    6 s, and a player left that long without news took the driver for a not-ready one."""
    _, bridge = rtu_hand
    launch_node(
        "inspire_driver",
        package=PKG,
        params={"side": "right", "port": bridge.client_path, "timeout": 0.3},
        wait_topics=["/right/hand/joint_states"],
    )
    peer = ros_node.node
    diags = Listener(peer, DiagnosticArray, "/diagnostics")
    states = Listener(peer, JointState, "/right/hand/joint_states")
    assert wait_until(lambda: diags.count > 0 and states.count > 0, 10)
    for _ in range(60):
        bridge.inject("delay:0.12")
    time.sleep(1.0)  # the delays have taken hold
    d0, s0 = diags.count, states.count
    time.sleep(4.0)
    ticks, reports = states.count - s0, diags.count - d0
    assert ticks <= 20, f"{ticks} ticks in 4 s: the replies were not slowed"
    assert reports >= 5, f"{reports} diagnostics in 4 s at 2 Hz ({ticks} ticks)"
