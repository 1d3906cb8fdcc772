"""``inspire_driver``: one Inspire RH56 hand (Modbus RTU, Modbus TCP or the native serial
protocol), through the safety gate.

Subscribes ``<side>/hand/command`` (JointState, 6 actuators [rad]), publishes
``<side>/hand/joint_states`` (effort = finger force [N]) and ``/diagnostics``, serves
``<side>/hand/clear_error`` and ``estop`` | ``estop_reset`` (std_srvs/Trigger). Device faults never
end the node: it reconnects with back-off and ramps from the measured pose again.
"""

from __future__ import annotations

import time

from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import SetParametersResult
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node
from sensor_msgs.msg import JointState

from maniptrans_description.inspire import HandCalibration
from realman_inspire_driver import ros_io
from realman_inspire_driver.errors import ConfigError
from realman_inspire_driver.inspire.driver import DEFAULT_FAULT_MASK, HandDriver, HandDriverConfig
from realman_inspire_driver.inspire.transports import HandLinkConfig
from realman_inspire_driver.loop import RateLoop
from realman_inspire_driver.safety.gate import SafetyConfig, SafetyGate
from realman_inspire_driver.safety.limits import hand_limits

PARAMETERS = {
    "side": "left",
    "protocol": "modbus_rtu",
    "port": "/dev/ttyUSB0",
    "baudrate": 115200,
    "slave_id": 1,
    "tcp_host": "192.168.11.210",
    "tcp_port": 6000,
    "timeout": 0.05,
    "rate_hz": 50.0,
    "calibration_file": "",
    "speed": 1000,
    "force_limit": 500,
    "fault_mask": DEFAULT_FAULT_MASK,
    "max_velocity": 3.0,
    "max_step": 0.2,
    "max_command_jump": 1.0,
    "watchdog_periods": 10,
    "soft_start_velocity": 0.3,
    "interpolation_delay": 0.035,
    "diagnostics_rate_hz": 2.0,
}


class InspireDriverNode(Node):
    """Wires the pure ``HandDriver`` to ROS topics, services and a fixed-rate loop thread."""

    def __init__(self) -> None:
        super().__init__("inspire_driver")
        p = {
            name: self.declare_parameter(name, default).value
            for name, default in PARAMETERS.items()
        }
        self.add_on_set_parameters_callback(self._refuse_changes)
        side = str(p["side"])
        if side not in ("left", "right"):
            raise ConfigError(f"parameter side must be 'left' or 'right', got {side!r}")
        rate = float(p["rate_hz"])
        if not rate > 0:
            raise ConfigError(f"parameter rate_hz must be > 0, got {rate}")
        safety = SafetyConfig(
            period=1.0 / rate,
            position_margin=0.0,
            max_velocity=float(p["max_velocity"]),
            velocity_scale=1.0,
            max_step=float(p["max_step"]),
            max_command_jump=float(p["max_command_jump"]),
            watchdog_periods=int(p["watchdog_periods"]),
            soft_start="ramp",
            soft_start_velocity=float(p["soft_start_velocity"]),
            interpolation_delay=float(p["interpolation_delay"]),
            max_tracking_error=None,  # fingers stop on contact by design
        )
        link = HandLinkConfig(
            protocol=str(p["protocol"]),
            port=str(p["port"]),
            baudrate=int(p["baudrate"]),
            slave_id=int(p["slave_id"]),
            host=str(p["tcp_host"]),
            tcp_port=int(p["tcp_port"]),
            timeout=float(p["timeout"]),
        )
        config = HandDriverConfig(
            link=link,
            speed=int(p["speed"]),
            force_limit=int(p["force_limit"]),
            fault_mask=int(p["fault_mask"]),
        )
        calibration = HandCalibration.load(str(p["calibration_file"]) or None, side)
        gate = SafetyGate(hand_limits(side), safety)
        self.driver = HandDriver(config, gate, calibration)
        self.hardware_id = (
            f"{link.host}:{link.tcp_port}" if link.protocol == "modbus_tcp" else link.port
        )
        self.diag_name = f"{self.get_name()}: {side} hand"
        self.diag_every = max(1, round(rate / float(p["diagnostics_rate_hz"])))

        self.pub_state = self.create_publisher(JointState, f"{side}/hand/joint_states", 10)
        self.pub_diag = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_subscription(
            JointState,
            f"{side}/hand/command",
            ros_io.command_callback(self.driver, gate.limits.names),
            10,
        )
        services = ReentrantCallbackGroup()
        for name, request in (
            (f"{side}/hand/clear_error", "clear_error"),
            ("estop", "estop"),
            ("estop_reset", "estop_reset"),
        ):
            ros_io.bind_trigger(self, name, self.driver, request, services)

        self.log_changes = ros_io.ChangeLogger(self.get_logger())
        self.loop = RateLoop(rate, self._tick)
        self.thread = ros_io.LoopThread(self.loop)
        self.thread.start()
        self.get_logger().info(
            f"{side} hand over {link.protocol} at {self.hardware_id}, {rate:.0f} Hz; "
            "waiting for commands to soft-start"
        )

    def _refuse_changes(self, params) -> SetParametersResult:
        names = ", ".join(p.name for p in params)
        return SetParametersResult(
            successful=False,
            reason=f"driver parameters are read at start; restart to change {names}",
        )

    def _tick(self, now: float) -> None:
        measurement = self.driver.tick(now)
        self.log_changes.update(self.driver)
        stamp = ros_io.to_time(time.time())
        if measurement is not None:
            self.pub_state.publish(ros_io.joint_state(measurement, stamp))
        if (self.loop.stats.ticks - 1) % self.diag_every == 0:
            self.pub_diag.publish(
                ros_io.diagnostics(self.diag_name, self.hardware_id, self.driver, self.loop, stamp)
            )

    def close(self) -> None:
        """Stop the loop and release the port (the hand keeps its last target); called
        before the ROS context shuts down, so the loop never publishes into a dead context."""
        if not self.thread.stop():
            self.get_logger().warning("driver loop still busy after 5 s; closing anyway")
        self.driver.disconnect(time.monotonic())


def main(args: list[str] | None = None) -> None:
    ros_io.run_driver_node(InspireDriverNode, args)


if __name__ == "__main__":
    main()
