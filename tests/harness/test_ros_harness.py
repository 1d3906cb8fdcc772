"""The harness itself: real processes exchanging messages over real rclpy/DDS."""

from __future__ import annotations

import math
import statistics
import threading
import time
from pathlib import Path

import pytest

from ros_harness import HarnessError, start_node, wait_for

rclpy = pytest.importorskip("rclpy")
from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402
from sensor_msgs.msg import JointState  # noqa: E402

ECHO = str(Path(__file__).with_name("echo_node.py"))
N_MESSAGES = 200
JOINTS = [f"left_arm_joint_{i}" for i in range(1, 8)] + [
    f"right_arm_joint_{i}" for i in range(1, 8)
]

pytestmark = pytest.mark.ros


def _message(k: int, stamp_ns: int) -> JointState:
    msg = JointState()
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
    msg.header.frame_id = f"frame_{k}"
    msg.name = JOINTS
    msg.position = [math.sin(0.01 * k + j) for j in range(len(JOINTS))]
    msg.velocity = [float(k) + 0.5 * j for j in range(len(JOINTS))]
    msg.effort = [-1e-9 * k * j for j in range(len(JOINTS))]
    return msg


def test_joint_states_round_trip_intact_between_two_processes(launch_node, ros_node, capsys):
    echo = launch_node(
        ECHO, remaps={"in": "/harness/in", "out": "/harness/out"}, wait_topics=["/harness/out"]
    )
    qos = QoSProfile(depth=N_MESSAGES, reliability=ReliabilityPolicy.RELIABLE)
    received: dict[str, tuple[JointState, int]] = {}
    done = threading.Event()

    def on_echo(msg: JointState) -> None:
        received[msg.header.frame_id] = (msg, time.monotonic_ns())
        if len(received) == N_MESSAGES:
            done.set()

    ros_node.node.create_subscription(JointState, "/harness/out", on_echo, qos)
    pub = ros_node.node.create_publisher(JointState, "/harness/in", qos)
    wait_for(
        lambda: pub.get_subscription_count() > 0 and echo.alive(),
        20.0,
        "the echo node to subscribe",
        echo,
    )
    wait_for(lambda: ros_node.node.count_publishers("/harness/out") > 0, 20.0, "echo out", echo)

    sent: dict[str, tuple[JointState, int]] = {}
    for k in range(N_MESSAGES):
        t = time.monotonic_ns()
        msg = _message(k, t)
        sent[msg.header.frame_id] = (msg, t)
        pub.publish(msg)
        time.sleep(0.002)  # 500 Hz
    assert done.wait(15.0), f"{len(received)}/{N_MESSAGES} arrived\n{echo.describe()}"

    rtts_ms = []
    for key, (msg, t_sent) in sent.items():
        back, t_back = received[key]
        assert list(back.name) == list(msg.name)
        assert list(back.position) == list(msg.position)  # bit-exact float64 through CDR
        assert list(back.velocity) == list(msg.velocity)
        assert list(back.effort) == list(msg.effort)
        assert (back.header.stamp.sec, back.header.stamp.nanosec) == (
            msg.header.stamp.sec,
            msg.header.stamp.nanosec,
        )
        rtts_ms.append((t_back - t_sent) / 1e6)
    rtts_ms.sort()
    p50 = statistics.median(rtts_ms)
    p99 = rtts_ms[int(0.99 * (len(rtts_ms) - 1))]
    with capsys.disabled():
        print(
            f"\n[harness] {N_MESSAGES} JointState(14) round trips through a separate process: "
            f"p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {rtts_ms[-1]:.2f} ms"
        )
    assert echo.alive()


def test_a_node_that_fails_to_start_reports_its_log(launch_node):
    with pytest.raises(HarnessError) as err:
        launch_node(ECHO, args=["--fail"], wait_topics=["/never"], timeout=10.0)
    text = str(err.value)
    assert "node died" in text
    assert "exited with code 3" in text
    assert "simulated configuration error" in text  # the node's own output is in the message


def test_waiting_for_a_topic_that_never_appears_times_out_with_the_log(launch_node):
    with pytest.raises(HarnessError) as err:
        launch_node(ECHO, wait_topics=["/no_such_topic"], timeout=3.0)
    text = str(err.value)
    assert "timed out" in text and "/no_such_topic" in text
    assert "echo node up" in text  # the running node's log is included


def test_teardown_kills_the_whole_process_group(ros_domain, tmp_path):
    # A node that starts a child: terminating the node must take the child with it.
    script = tmp_path / "parent.py"
    script.write_text(
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        "print(child.pid, flush=True)\n"
        "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "time.sleep(600)\n"
    )
    proc = start_node(str(script), domain_id=ros_domain, log_dir=tmp_path)
    wait_for(lambda: proc.log().strip() != "", 10.0, "the child pid", proc)
    child_pid = int(proc.log().split()[0])
    proc.terminate(timeout=0.5)  # parent ignores SIGINT and SIGTERM: needs SIGKILL
    assert not proc.alive()

    def child_gone() -> bool:
        try:
            with open(f"/proc/{child_pid}/stat") as f:
                return f.read().split()[2] == "Z"  # zombie until init reaps it
        except FileNotFoundError:
            return True

    wait_for(child_gone, 5.0, "the child to be killed with its group")
