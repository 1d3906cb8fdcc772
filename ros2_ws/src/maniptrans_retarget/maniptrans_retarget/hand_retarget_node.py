"""``hand_retarget`` node: sim-hand joint states (12) -> real-hand actuator commands (6), one side.

Subscribes ``/sim/<side>/hand/joint_states`` (sensor_msgs/JointState), publishes
``/<side>/hand/command`` (sensor_msgs/JointState, the 6 actuators in radians) in streaming mode and
``/diagnostics``. Messages with wrong joint names or non-finite values are rejected (throttled
error log + an ERROR diagnostic) and never forwarded. All logic lives in ``hand_stream`` and
``hand_retarget``.

Parameters: ``side`` ("left"/"right"), ``smooth_weight`` [m²/rad²], ``tip_weights`` (5: thumb,
index, middle, ring, pinky), ``input_topic`` / ``output_topic`` (empty: the defaults above),
``diagnostics_period_s``, ``error_log_period_s``.
"""

from __future__ import annotations

import rclpy
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rcl_interfaces.msg import SetParametersResult
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState

from maniptrans_description.node_runtime import init_ros, spin_until
from maniptrans_retarget.hand_description import check_side, load_hand
from maniptrans_retarget.hand_errors import HandRetargetError
from maniptrans_retarget.hand_retarget import HandRetargeter, RetargetConfig
from maniptrans_retarget.hand_stream import HandStream

_DEFAULTS = RetargetConfig()


class HandRetargetNode(Node):
    """One side's hand retargeting in streaming mode."""

    def __init__(self, **kwargs) -> None:
        super().__init__("hand_retarget", **kwargs)
        self.declare_parameter("side", "right")
        self.declare_parameter("smooth_weight", _DEFAULTS.smooth_weight)
        self.declare_parameter("tip_weights", list(_DEFAULTS.tip_weights))
        self.declare_parameter("input_topic", "")
        self.declare_parameter("output_topic", "")
        self.declare_parameter("diagnostics_period_s", 1.0)
        self.declare_parameter("error_log_period_s", 1.0)
        self.side = check_side(self.get_parameter("side").value)
        self._stream = HandStream(HandRetargeter(load_hand(self.side), self._config({})))
        self._log_period = float(self.get_parameter("error_log_period_s").value)
        self.add_on_set_parameters_callback(self._on_set_parameters)

        in_topic = self.get_parameter("input_topic").value or f"/sim/{self.side}/hand/joint_states"
        out_topic = self.get_parameter("output_topic").value or f"/{self.side}/hand/command"
        self._pub = self.create_publisher(JointState, out_topic, 10)
        self._diag = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_subscription(JointState, in_topic, self._on_joint_state, 10)
        self.create_timer(float(self.get_parameter("diagnostics_period_s").value), self._report)
        self.get_logger().info(f"hand_retarget ({self.side}): {in_topic} -> {out_topic}")

    def _config(self, changes: dict[str, object]) -> RetargetConfig:
        def value(name: str) -> object:
            return changes[name] if name in changes else self.get_parameter(name).value

        return RetargetConfig(
            smooth_weight=float(value("smooth_weight")),  # type: ignore[arg-type]
            tip_weights=tuple(float(v) for v in value("tip_weights")),  # type: ignore[union-attr]
        )

    def _on_set_parameters(self, params: list[Parameter]) -> SetParametersResult:
        changes = {p.name: p.value for p in params}
        if "side" in changes and changes["side"] != self.side:
            return SetParametersResult(successful=False, reason="side is fixed at start-up")
        if {"smooth_weight", "tip_weights"} & set(changes):
            try:
                self._stream.reconfigure(self._config(changes))
            except (HandRetargetError, TypeError, ValueError) as exc:
                return SetParametersResult(successful=False, reason=str(exc))
        return SetParametersResult(successful=True)

    def _on_joint_state(self, msg: JointState) -> None:
        try:
            x = self._stream.process(msg.name, msg.position)
        except HandRetargetError as exc:
            self.get_logger().error(f"rejected: {exc}", throttle_duration_sec=self._log_period)
            self._publish_diagnostics(DiagnosticStatus.ERROR, f"rejected: {exc}")
            return
        out = JointState()
        out.header.stamp = msg.header.stamp
        out.header.frame_id = msg.header.frame_id
        out.name = list(self._stream.actuator_names)
        out.position = [float(v) for v in x]
        self._pub.publish(out)

    def _report(self) -> None:
        level = DiagnosticStatus.OK
        text = "retargeting"
        if self._stream.accepted == 0:
            level, text = DiagnosticStatus.WARN, "no sim hand joint states received yet"
        self._publish_diagnostics(level, text)

    def _publish_diagnostics(self, level: bytes, message: str) -> None:
        status = DiagnosticStatus()
        status.level = level
        status.name = f"hand_retarget: {self.side}"
        status.hardware_id = f"{self.side}_hand"
        status.message = message
        status.values = [
            KeyValue(key="accepted", value=str(self._stream.accepted)),
            KeyValue(key="rejected", value=str(self._stream.rejected)),
            KeyValue(key="last_error", value=self._stream.last_error),
        ]
        arr = DiagnosticArray()
        arr.header.stamp = self.get_clock().now().to_msg()
        arr.status = [status]
        self._diag.publish(arr)


def main(args: list[str] | None = None) -> None:
    """Run one hand_retarget node until shutdown."""
    stop = init_ros(args)
    node = HandRetargetNode()
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    try:
        spin_until(executor, stop)
    finally:
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
