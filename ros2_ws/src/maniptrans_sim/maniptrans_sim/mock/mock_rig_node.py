"""ROS node ``mock_rig``: runs the sim-mocked bridge and publishes the twin's ground truth.

Parameters: every setting of `maniptrans_sim.mock.mock_rig.SETTINGS`, plus ``publish_rate`` [Hz]
and ``inject`` (set it at run time to arm a fault, e.g. ``right_hand:error=stall@2``).
Topics: ``/mock/<side>/arm/joint_states`` (7), ``/mock/<side>/hand/joint_states`` (6 actuators,
effort = fingertip force [N]), ``/mock/objects/<name>/pose`` (``world``), ``/mock/faults``
(std_msgs/String, one JSON fault event per message).
"""

from __future__ import annotations

import json
from dataclasses import asdict

import rclpy
from builtin_interfaces.msg import Time
from geometry_msgs.msg import PoseStamped
from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState
from std_msgs.msg import Header, String

from maniptrans_sim.mock.errors import MockRigError
from maniptrans_sim.mock.faults import FaultEvent
from maniptrans_sim.mock.mock_rig import SETTINGS, config_from_mapping
from maniptrans_sim.mock.rig import MockRig
from maniptrans_sim.mock.robot_tables import arm_joint_names, hand_actuator_names


class MockRigNode(Node):
    """Wraps `MockRig`: parameters in, ground-truth topics out."""

    def __init__(self) -> None:
        super().__init__("mock_rig")
        for name, (default, _) in SETTINGS.items():
            self.declare_parameter(name, default)
        self.declare_parameter("publish_rate", 100.0)
        self.declare_parameter("inject", "")
        values = {name: self.get_parameter(name).value for name in SETTINGS}
        self.rig = MockRig(config_from_mapping(values))
        self.rig.start()
        for line in self.rig.describe().splitlines():
            self.get_logger().info(line)
        if values["params_out"]:
            path = self.rig.write_parameters(values["params_out"])
            self.get_logger().info(f"driver parameters written to {path}")
        self._pub_arm = {}
        self._pub_hand = {}
        for s in self.rig.config.sides:
            self._pub_arm[s] = self.create_publisher(JointState, f"/mock/{s}/arm/joint_states", 10)
            self._pub_hand[s] = self.create_publisher(
                JointState, f"/mock/{s}/hand/joint_states", 10
            )
        self._names = {
            s: (arm_joint_names(s), hand_actuator_names(s)) for s in self.rig.config.sides
        }
        self._pub_obj = {
            name: self.create_publisher(PoseStamped, f"/mock/objects/{name}/pose", 10)
            for name in self.rig.snapshot().objects
        }
        self._pub_faults = self.create_publisher(String, "/mock/faults", 50)
        self.rig.log.add_listener(self._on_fault)
        self.add_on_set_parameters_callback(self._on_set)
        rate = float(self.get_parameter("publish_rate").value)
        self.create_timer(1.0 / max(rate, 1.0), self._publish)

    def _on_fault(self, event: FaultEvent) -> None:
        self._pub_faults.publish(String(data=json.dumps(asdict(event))))

    def _on_set(self, params: list[Parameter]) -> SetParametersResult:
        for p in params:
            if p.name == "inject" and p.value:
                try:
                    self.rig.inject(str(p.value))
                except MockRigError as exc:
                    return SetParametersResult(successful=False, reason=str(exc))
            elif p.name in SETTINGS:
                return SetParametersResult(
                    successful=False, reason=f"{p.name} is read at start only"
                )
        return SetParametersResult(successful=True)

    def _publish(self) -> None:
        state = self.rig.snapshot()
        stamp = self.get_clock().now().to_msg()
        for s in self.rig.config.sides:
            arm_names, hand_names = self._names[s]
            self._pub_arm[s].publish(
                JointState(
                    name=arm_names,
                    position=state.arm_q[s].tolist(),
                    velocity=state.arm_dq[s].tolist(),
                    header=_header(stamp),
                )
            )
            self._pub_hand[s].publish(
                JointState(
                    name=hand_names,
                    position=state.hand_q[s].tolist(),
                    effort=state.hand_force[s].tolist(),
                    header=_header(stamp),
                )
            )
        for name, pose in state.objects.items():
            msg = PoseStamped()
            msg.header.stamp = stamp
            msg.header.frame_id = "world"
            p, q = pose[:3], pose[3:]
            msg.pose.position.x, msg.pose.position.y, msg.pose.position.z = map(float, p)
            o = msg.pose.orientation
            o.x, o.y, o.z, o.w = map(float, q)
            self._pub_obj[name].publish(msg)

    def destroy_node(self) -> None:
        self.rig.stop()
        super().destroy_node()


def _header(stamp: Time) -> Header:
    return Header(stamp=stamp, frame_id="world")


def main(args: list[str] | None = None) -> None:
    rclpy.init(args=args)
    node = None
    try:
        node = MockRigNode()
        rclpy.spin(node)
    except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
        pass
    finally:
        if node is not None:
            node.destroy_node()
        if rclpy.ok():
            rclpy.shutdown()
