"""``realman_driver``: one RM75 arm behind its controller (JSON over TCP), through the safety gate.

Subscribes ``<side>/arm/command`` (JointState, 7 joints), publishes ``<side>/arm/joint_states``
and ``/diagnostics``, serves ``<side>/arm/stop`` | ``resume`` | ``clear_error`` and ``estop`` |
``estop_reset`` (std_srvs/Trigger). Names are relative, so the defaults give the contract names.
Device faults never end the node: it reconnects with back-off and soft-starts again.
"""

from __future__ import annotations

import time

from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import SetParametersResult
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node
from sensor_msgs.msg import JointState

from realman_inspire_driver import ros_io
from realman_inspire_driver.errors import ConfigError
from realman_inspire_driver.loop import RateLoop
from realman_inspire_driver.realman.client import ArmLinkConfig
from realman_inspire_driver.realman.driver import ArmDriver, ArmDriverConfig
from realman_inspire_driver.safety.gate import SafetyConfig, SafetyGate
from realman_inspire_driver.safety.limits import arm_limits

PARAMETERS = {
    "side": "left",
    "variant": "rm75_b",
    "host": "192.168.1.18",
    "port": 8080,
    "rate_hz": 100.0,
    "timeout": 0.2,
    "follow": False,
    "soft_start_speed": 10,
    "max_velocity": 1.5,
    "velocity_scale": 0.5,
    "max_step": 0.035,
    "position_margin": 0.035,
    "max_command_jump": 0.35,
    "watchdog_periods": 10,
    "interpolation_delay": 0.035,
    "max_tracking_error": 0.3,
    "soft_start_timeout": 30.0,
    "diagnostics_rate_hz": 2.0,
}


class RealmanDriverNode(Node):
    """Wires the pure ``ArmDriver`` to ROS topics, services and a fixed-rate loop thread."""

    def __init__(self) -> None:
        super().__init__("realman_driver")
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
            position_margin=float(p["position_margin"]),
            max_velocity=float(p["max_velocity"]),
            velocity_scale=float(p["velocity_scale"]),
            max_step=float(p["max_step"]),
            max_command_jump=float(p["max_command_jump"]),
            watchdog_periods=int(p["watchdog_periods"]),
            soft_start="planned",
            soft_start_timeout=float(p["soft_start_timeout"]),
            interpolation_delay=float(p["interpolation_delay"]),
            max_tracking_error=float(p["max_tracking_error"]) or None,
        )
        link = ArmLinkConfig(
            host=str(p["host"]),
            port=int(p["port"]),
            timeout=float(p["timeout"]),
            follow=bool(p["follow"]),
        )
        config = ArmDriverConfig(link=link, soft_start_speed=int(p["soft_start_speed"]))
        gate = SafetyGate(arm_limits(side, str(p["variant"])), safety)
        self.driver = ArmDriver(config, gate)
        self.hardware_id = f"{link.host}:{link.port}"
        self.diag_name = f"{self.get_name()}: {side} arm"
        self.diag_every = max(1, round(rate / float(p["diagnostics_rate_hz"])))

        self.pub_state = self.create_publisher(JointState, f"{side}/arm/joint_states", 10)
        self.pub_diag = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_subscription(
            JointState,
            f"{side}/arm/command",
            ros_io.command_callback(self.driver, gate.limits.names),
            10,
        )
        services = ReentrantCallbackGroup()
        for name, request in (
            (f"{side}/arm/stop", "stop"),
            (f"{side}/arm/resume", "resume"),
            (f"{side}/arm/clear_error", "clear_error"),
            ("estop", "estop"),
            ("estop_reset", "estop_reset"),
        ):
            ros_io.bind_trigger(self, name, self.driver, request, services)

        self.log_changes = ros_io.ChangeLogger(self.get_logger())
        self.loop = RateLoop(rate, self._tick)
        self.thread = ros_io.LoopThread(self.loop)
        self.thread.start()
        self.get_logger().info(
            f"{side} arm at {self.hardware_id}, {rate:.0f} Hz; waiting for commands to soft-start"
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
        """Stop the loop and close the connection (the controller keeps its last set-point); called
        before the ROS context shuts down, so the loop never publishes into a dead context."""
        if not self.thread.stop():
            self.get_logger().warning("driver loop still busy after 5 s; closing anyway")
        self.driver.disconnect(time.monotonic())


def main(args: list[str] | None = None) -> None:
    ros_io.run_driver_node(RealmanDriverNode, args)


if __name__ == "__main__":
    main()
