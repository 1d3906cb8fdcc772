"""The arm_ik node as its own process: wrist poses in, continuous joint commands out."""

from __future__ import annotations

import threading
import time

import numpy as np
import pinocchio as pin
import pytest

pytest.importorskip("rclpy")

from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseStamped
from sensor_msgs.msg import JointState

from maniptrans_retarget.arm_ik import COMFORTABLE_POSTURE
from maniptrans_retarget.arm_kinematics import ArmKinematics
from maniptrans_retarget.arm_targets import FlangeTargets
from ros_harness import wait_for

pytestmark = pytest.mark.ros
N_GOOD = 60


def _stamp(t: float) -> Time:
    return Time(sec=int(t), nanosec=int((t % 1.0) * 1e9))


def _pose(T: np.ndarray, t: float) -> PoseStamped:
    msg = PoseStamped()
    msg.header.stamp = _stamp(t)
    msg.header.frame_id = "world"
    x, y, z, w = pin.Quaternion(T[:3, :3]).coeffs()
    msg.pose.position.x, msg.pose.position.y, msg.pose.position.z = (float(v) for v in T[:3, 3])
    msg.pose.orientation.x, msg.pose.orientation.y = float(x), float(y)
    msg.pose.orientation.z, msg.pose.orientation.w = float(z), float(w)
    return msg


@pytest.mark.parametrize("side", ["left", "right"])
def test_node_streams_commands_for_wrist_poses_and_rejects_stale_or_non_finite_ones(
    launch_node, ros_node, side
):
    from maniptrans_description.rig import RigCalibration

    rig = RigCalibration.load()
    kin = ArmKinematics.from_description(rig.arm_variant, side)
    node = launch_node(
        "arm_ik",
        package="maniptrans_retarget",
        # a generous age limit: a loaded test machine must not turn good poses stale
        params={"side": side, "diagnostics_rate_hz": 10.0, "max_input_age": 5.0},
        wait_topics=[f"/{side}/arm/command"],
        timeout=120.0,  # a cold numba cache compiles the IK kernel first
    )
    commands: list[JointState] = []
    statuses = []
    lock = threading.Lock()

    def on_command(msg: JointState) -> None:
        with lock:
            commands.append(msg)

    def on_diag(msg: DiagnosticArray) -> None:
        with lock:
            statuses.extend(s for s in msg.status if s.name.endswith(f"{side} arm ik"))

    ros_node.node.create_subscription(JointState, f"/{side}/arm/command", on_command, 100)
    ros_node.node.create_subscription(DiagnosticArray, "/diagnostics", on_diag, 50)
    pub = ros_node.node.create_publisher(PoseStamped, f"/sim/{side}/wrist_pose", 100)
    pub_js = ros_node.node.create_publisher(JointState, f"/{side}/arm/joint_states", 10)
    wait_for(lambda: pub.get_subscription_count() > 0, 20.0, "the node to subscribe", node)
    wait_for(lambda: pub_js.get_subscription_count() > 0, 20.0, "joint_states sub", node)

    sign = 1.0 if side == "left" else -1.0
    t = np.arange(N_GOOD)[:, None] / 60.0
    Q = np.array(COMFORTABLE_POSTURE) + 0.15 * np.sin(2 * np.pi * 0.5 * t + np.arange(7)) * sign
    measured = JointState(name=list(kin.joint_names), position=[float(v) for v in Q[0]])
    for _ in range(5):
        pub_js.publish(measured)
        time.sleep(0.02)
    wrists = FlangeTargets.from_rig(rig, side).to_wrist(np.array([kin.flange_pose(q) for q in Q]))
    # the first pose again and again until the node answers: discovery is complete both ways
    sent = 0

    def answered() -> bool:
        nonlocal sent
        pub.publish(_pose(wrists[0], time.time()))
        sent += 1
        with lock:
            return len(commands) > 0

    wait_for(answered, 20.0, "a first command", node, period=0.05)
    time.sleep(0.2)
    for k in range(1, N_GOOD):
        pub.publish(_pose(wrists[k], time.time()))
        sent += 1
        time.sleep(0.01)
    stale = _pose(wrists[-1], time.time() - 60.0)
    pub.publish(stale)
    bad = _pose(wrists[-1], time.time())
    bad.pose.position.x = float("nan")
    pub.publish(bad)

    def done() -> bool:
        with lock:
            values = {kv.key: kv.value for s in statuses for kv in s.values}
        return (
            len(commands) >= sent
            and "rejected_stale" in values
            and "rejected_non-finite" in values
        )

    try:
        wait_for(done, 30.0, "commands and diagnostics of the rejected poses", node)
    finally:
        with lock:
            print(f"{len(commands)} commands; last diagnostics: {statuses[-1:]}")
    time.sleep(0.3)
    with lock:
        got = [np.array(c.position) for c in commands]
        names = list(commands[-1].name)
    assert len(got) == sent  # one per good pose, none for the stale or the NaN one
    assert names == list(kin.joint_names)
    steps = np.abs(np.diff(np.array(got), axis=0))
    assert steps.max() <= 0.5 * 3.14 * 0.1 + 1e-9  # velocity_scale · limit · max_dt
    T_last = kin.flange_pose(got[-1])
    T_goal = kin.flange_pose(Q[-1])
    assert np.linalg.norm(T_last[:3, 3] - T_goal[:3, 3]) < 1e-4
    assert node.alive()


def test_node_refuses_to_start_with_a_bad_side_and_says_why(launch_node):
    node = launch_node("arm_ik", package="maniptrans_retarget", params={"side": "middle"})
    wait_for(lambda: not node.alive(), 30.0, "the node to exit")
    assert node.returncode == 2
    assert "expected 'left' or 'right', found 'middle'" in node.log()
