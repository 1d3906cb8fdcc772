"""``inspire_driver``: one Inspire RH56 hand (Modbus RTU, Modbus TCP or the native serial
protocol), through the safety gate.

Subscribes ``<side>/hand/command`` (JointState, 6 actuators [rad]), publishes
``<side>/hand/joint_states`` (effort = finger force [N]) and ``/diagnostics``, serves
``<side>/hand/clear_error`` and ``estop`` | ``estop_reset`` (std_srvs/Trigger). Device faults never
end the node: it reconnects with back-off and ramps from the measured pose again.
"""

from __future__ import annotations

from maniptrans_description.inspire import HandCalibration
from realman_inspire_driver import ros_io
from realman_inspire_driver.inspire.driver import DEFAULT_FAULT_MASK, HandDriver, HandDriverConfig
from realman_inspire_driver.inspire.transports import HandLinkConfig
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
    "max_catchup_periods": 3.0,
    "max_command_jump": 1.0,
    "watchdog_periods": 10,
    "soft_start_velocity": 0.3,
    "interpolation_delay": 0.035,
    "diagnostics_rate_hz": 2.0,
}


class InspireDriverNode(ros_io.DriverNode):
    """Builds the pure ``HandDriver`` from parameters; `ros_io.DriverNode` does the wiring."""

    def __init__(self) -> None:
        super().__init__("inspire_driver", PARAMETERS)
        p, side = self.params, self.side
        safety = SafetyConfig(
            period=1.0 / self.rate,
            position_margin=0.0,
            max_velocity=float(p["max_velocity"]),
            velocity_scale=1.0,
            max_step=float(p["max_step"]),
            max_catchup_periods=float(p["max_catchup_periods"]),
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
        hardware_id = (
            f"{link.host}:{link.tcp_port}" if link.protocol == "modbus_tcp" else link.port
        )
        self.start(
            "hand",
            HandDriver(config, gate, calibration),
            gate.limits.names,
            hardware_id,
            ("clear_error",),
            f"{side} hand over {link.protocol} at {hardware_id}",
        )


def main(args: list[str] | None = None) -> None:
    ros_io.run_driver_node(InspireDriverNode, args)


if __name__ == "__main__":
    main()
