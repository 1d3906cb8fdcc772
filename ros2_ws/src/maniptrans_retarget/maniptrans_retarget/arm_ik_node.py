"""``arm_ik``: one RM75 arm's joint commands from the sim wrist pose of its side.

Subscribes ``sim/<side>/wrist_pose`` (geometry_msgs/PoseStamped, sim world) and
``<side>/arm/joint_states`` (to start from where the arm is), publishes ``<side>/arm/command``
(sensor_msgs/JointState, 7 joints [rad], stamped with the input's stamp) and IK residuals on
``/diagnostics``. Names are relative, so the defaults give the contract names. All logic lives in
``arm_command``; parameters are read at start (restart to change them).
"""

from __future__ import annotations

import math
import sys

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import PoseStamped
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from sensor_msgs.msg import JointState

from maniptrans_description.node_runtime import init_ros, read_only_parameters, spin_until
from maniptrans_retarget.arm_command import ArmCommandStreamer, StreamConfig
from maniptrans_retarget.arm_errors import ArmIkError
from maniptrans_retarget.arm_ik import COMFORTABLE_POSTURE, ArmIk, IkConfig
from maniptrans_retarget.arm_kinematics import ArmKinematics
from maniptrans_retarget.arm_targets import FlangeTargets

PARAMETERS: dict[str, object] = {
    "side": "left",
    "calibration": "",  # rig YAML; "" = the description package's config/rig.yaml
    "arm_variant": "",  # "" = the calibration's arm_variant
    "posture": list(COMFORTABLE_POSTURE),  # [rad]
    "posture_gain": 0.5,  # [1/s]
    "damping": 1e-3,  # [m]
    "error_damping": 0.05,
    "rotation_weight": 0.25,  # [m/rad]
    "position_tolerance": 1e-4,  # [m]
    "rotation_tolerance": math.radians(0.1),  # [rad]
    "max_iterations": 60,
    "velocity_scale": 0.5,  # fraction of the RM75 velocity limits
    "max_input_age": 0.5,  # [s]
    "max_dt": 0.1,  # [s]
    "restart_after": 0.5,  # [s]
    "on_unreachable": "hold",  # "hold" | "best"
    "diagnostics_rate_hz": 2.0,
}


class ArmIkNode(Node):
    """Wires ``ArmCommandStreamer`` to the wrist-pose, joint-state and command topics."""

    def __init__(self) -> None:
        super().__init__("arm_ik")
        p = {name: self.declare_parameter(name, d).value for name, d in PARAMETERS.items()}
        read_only_parameters(self, "arm_ik parameters")
        side = str(p["side"])
        if side not in ("left", "right"):
            raise ArmIkError(f"parameter side: expected 'left' or 'right', found {side!r}")
        from maniptrans_description.errors import DescriptionError
        from maniptrans_description.rig import RigCalibration

        try:
            rig = RigCalibration.load(str(p["calibration"]) or None)
        except DescriptionError as exc:
            raise ArmIkError(f"parameter calibration: {exc}") from exc
        variant = str(p["arm_variant"]) or rig.arm_variant
        posture = [float(v) for v in p["posture"]]  # type: ignore[union-attr]
        config = IkConfig(
            position_tolerance=float(p["position_tolerance"]),
            rotation_tolerance=float(p["rotation_tolerance"]),
            max_iterations=int(p["max_iterations"]),
            damping=float(p["damping"]),
            error_damping=float(p["error_damping"]),
            rotation_weight=float(p["rotation_weight"]),
            posture=tuple(posture),
            posture_gain=float(p["posture_gain"]),
            velocity_scale=float(p["velocity_scale"]),
        )
        stream = StreamConfig(
            max_input_age=float(p["max_input_age"]),
            max_dt=float(p["max_dt"]),
            restart_after=float(p["restart_after"]),
            on_unreachable=str(p["on_unreachable"]),
        )
        rate = float(p["diagnostics_rate_hz"])
        if not rate > 0:
            raise ArmIkError(f"parameter diagnostics_rate_hz: expected > 0, found {rate}")
        kin = ArmKinematics.from_description(variant, side)
        ik = ArmIk(kin, config)  # compiles / loads the IK kernel before any topic exists
        self.streamer = ArmCommandStreamer(ik, FlangeTargets.from_rig(rig, side), stream)
        self.side = side
        self.joint_names = list(kin.joint_names)
        self.diag_name = f"{self.get_name()}: {side} arm ik"

        self.pub_cmd = self.create_publisher(JointState, f"{side}/arm/command", 10)
        self.pub_diag = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_subscription(PoseStamped, f"sim/{side}/wrist_pose", self._on_wrist, 10)
        self.create_subscription(JointState, f"{side}/arm/joint_states", self._on_joints, 10)
        self.create_timer(1.0 / rate, self._report)
        source = rig.source or "default rig"
        self.get_logger().info(
            f"{side} arm ik: {variant}, calibration {source}, "
            f"on_unreachable {stream.on_unreachable}"
        )

    def _on_joints(self, msg: JointState) -> None:
        index = {name: i for i, name in enumerate(msg.name)}
        if all(n in index for n in self.joint_names) and len(msg.position) == len(msg.name):
            self.streamer.set_measured(
                np.array([msg.position[index[n]] for n in self.joint_names])
            )

    def _on_wrist(self, msg: PoseStamped) -> None:
        pos, ori = msg.pose.position, msg.pose.orientation
        stamp = msg.header.stamp.sec + 1e-9 * msg.header.stamp.nanosec
        now = self.get_clock().now().nanoseconds * 1e-9
        out = self.streamer.on_wrist(
            np.array([pos.x, pos.y, pos.z]), np.array([ori.x, ori.y, ori.z, ori.w]), stamp, now
        )
        if out.command is None:
            return
        cmd = JointState()
        cmd.header.stamp = msg.header.stamp
        cmd.name = self.joint_names
        cmd.position = [float(v) for v in out.command]
        self.pub_cmd.publish(cmd)

    def _report(self) -> None:
        level, message, values = self.streamer.report()
        status = DiagnosticStatus(
            level=bytes([int(level)]),
            name=self.diag_name,
            message=message,
            hardware_id=f"{self.side}_arm",
            values=[
                KeyValue(key=k, value=f"{v:.6g}" if isinstance(v, float) else str(v))
                for k, v in values.items()
            ],
        )
        arr = DiagnosticArray(status=[status])
        arr.header.stamp = self.get_clock().now().to_msg()
        self.pub_diag.publish(arr)


def main(args: list[str] | None = None) -> None:
    stop = init_ros(args)
    executor = SingleThreadedExecutor()
    node = None
    try:
        node = ArmIkNode()
        executor.add_node(node)
        spin_until(executor, stop)
    except ArmIkError as exc:  # bad parameters or calibration: say which, exit non-zero
        print(f"arm_ik: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    finally:
        executor.shutdown()
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
