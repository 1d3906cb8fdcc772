"""``realman_driver``: one RM75 arm behind its controller (JSON over TCP), through the safety gate.

Subscribes ``<side>/arm/command`` (JointState, 7 joints), publishes ``<side>/arm/joint_states``
and ``/diagnostics``, serves ``<side>/arm/stop`` | ``resume`` | ``clear_error`` and ``estop`` |
``estop_reset`` (std_srvs/Trigger). Names are relative, so the defaults give the contract names.
Device faults never end the node: it reconnects with back-off and soft-starts again.
"""

from __future__ import annotations

from realman_inspire_driver import ros_io
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
    "state_push": False,
    "push_port": 0,
    "push_period": 0.01,
    "soft_start_speed": 10,
    "max_velocity": 1.5,
    "velocity_scale": 0.5,
    "max_step": 0.035,
    "max_catchup_periods": 3.0,
    "position_margin": 0.035,
    "max_command_jump": 0.35,
    "watchdog_periods": 10,
    "interpolation_delay": 0.035,
    "max_tracking_error": 0.3,
    "soft_start_timeout": 30.0,
    "diagnostics_rate_hz": 2.0,
}


class RealmanDriverNode(ros_io.DriverNode):
    """Builds the pure ``ArmDriver`` from parameters; `ros_io.DriverNode` does the wiring."""

    def __init__(self) -> None:
        super().__init__("realman_driver", PARAMETERS)
        p, side = self.params, self.side
        safety = SafetyConfig(
            period=1.0 / self.rate,
            position_margin=float(p["position_margin"]),
            max_velocity=float(p["max_velocity"]),
            velocity_scale=float(p["velocity_scale"]),
            max_step=float(p["max_step"]),
            max_catchup_periods=float(p["max_catchup_periods"]),
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
        config = ArmDriverConfig(
            link=link,
            soft_start_speed=int(p["soft_start_speed"]),
            state_push=bool(p["state_push"]),
            push_port=int(p["push_port"]),
            push_period=float(p["push_period"]),
        )
        gate = SafetyGate(arm_limits(side, str(p["variant"])), safety)
        hardware_id = f"{link.host}:{link.port}"
        self.start(
            "arm",
            ArmDriver(config, gate),
            gate.limits.names,
            hardware_id,
            ("stop", "resume", "clear_error"),
            f"{side} arm at {hardware_id}",
        )


def main(args: list[str] | None = None) -> None:
    ros_io.run_driver_node(RealmanDriverNode, args)


if __name__ == "__main__":
    main()
