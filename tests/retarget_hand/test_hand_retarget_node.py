"""The hand_retarget node as its own process: sim stream in, commands out, bad input rejected."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("rclpy")

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from sensor_msgs.msg import JointState

from maniptrans_retarget.hand_description import load_hand
from maniptrans_retarget.hand_fixtures import sweep_trajectory
from ros_harness import wait_for

SIDE = "left"


def _state(names, q, frame_id: str) -> JointState:
    msg = JointState()
    msg.header.frame_id = frame_id
    msg.name = list(names)
    msg.position = [float(v) for v in q]
    return msg


def test_node_turns_a_sim_hand_stream_into_commands_and_rejects_bad_messages(
    launch_node, ros_node
):
    kin = load_hand(SIDE)
    node = launch_node(
        "hand_retarget",
        package="maniptrans_retarget",
        params={"side": SIDE, "error_log_period_s": 0.1},
        wait_topics=[f"/{SIDE}/hand/command"],
    )
    commands: dict[str, JointState] = {}
    errors: list[DiagnosticStatus] = []
    lock = threading.Lock()

    def on_command(msg: JointState) -> None:
        with lock:
            commands[msg.header.frame_id] = msg

    def on_diag(msg: DiagnosticArray) -> None:
        with lock:
            errors.extend(
                s
                for s in msg.status
                if s.name == f"hand_retarget: {SIDE}" and s.level == DiagnosticStatus.ERROR
            )

    ros_node.node.create_subscription(JointState, f"/{SIDE}/hand/command", on_command, 50)
    ros_node.node.create_subscription(DiagnosticArray, "/diagnostics", on_diag, 50)
    pub = ros_node.node.create_publisher(JointState, f"/sim/{SIDE}/hand/joint_states", 50)
    wait_for(lambda: pub.get_subscription_count() > 0, 20.0, "the node to subscribe", node)

    q = sweep_trajectory(kin.joint_lower, kin.joint_upper, 40, seed=4)
    names = list(kin.joint_names)
    for t in range(20):
        # lock-step: every good frame must turn into a command (the node keeps only the newest
        # 10 queued frames, so a burst on a loaded machine could legitimately drop stale ones)
        pub.publish(_state(names, q[t], f"good{t}"))
        wait_for(lambda t=t: f"good{t}" in commands, 10.0, f"the command for frame {t}", node)
    bad_names = [*names[:-1], "R_pinky_intermediate_joint"]
    pub.publish(_state(bad_names, q[20], "bad_names"))
    bad_value = q[21].copy()
    bad_value[3] = np.nan
    pub.publish(_state(names, bad_value, "bad_value"))
    pub.publish(_state(names, q[22], "after"))

    wait_for(lambda: "after" in commands and len(errors) >= 2, 15.0, "commands and errors", node)
    with lock:
        assert "bad_names" not in commands and "bad_value" not in commands
        assert sum(k.startswith("good") for k in commands) == 20
        cmd = commands["after"]
    assert list(cmd.name) == list(kin.actuator_names)
    x = np.array(cmd.position)
    assert np.all(np.isfinite(x)) and np.all(x >= kin.lower) and np.all(x <= kin.upper)
    # the command is the retargeted pose: its fingertips sit near the sim fingertips
    err = np.linalg.norm(kin.tips_from_actuators(x) - kin.tips_from_joints(q[22]), axis=-1)
    assert err.max() < 0.03
    assert any("unknown" in s.message or "missing" in s.message for s in errors)
    assert any("finite" in s.message for s in errors)
    assert "rejected" in node.log()
    assert node.alive()
