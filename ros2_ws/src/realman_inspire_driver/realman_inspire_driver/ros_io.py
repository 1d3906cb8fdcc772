"""ROS message glue shared by the two driver nodes: JointState in and out, diagnostics, Trigger
services bound to driver requests, and the stamp clock conversion. No driver logic lives here."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import rclpy
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.executors import MultiThreadedExecutor
from rclpy.node import Node
from sensor_msgs.msg import JointState
from std_srvs.srv import Trigger

from maniptrans_description.node_runtime import (
    init_ros,
    next_due,
    read_only_parameters,
    spin_until,
)
from realman_inspire_driver.device_driver import DeviceDriver, Measurement
from realman_inspire_driver.diagnostics import flatten, order_command, summarize
from realman_inspire_driver.errors import ConfigError
from realman_inspire_driver.loop import RateLoop, WallToMonotonic

SERVICE_WAIT = 1.0  # [s] a service answers after the loop handled it, or says it is queued


def stamp_seconds(stamp: Time) -> float:
    """A message stamp in seconds (0.0 for an unset stamp)."""
    return stamp.sec + stamp.nanosec * 1e-9


def to_time(seconds: float) -> Time:
    """Seconds → builtin_interfaces/Time."""
    sec = int(seconds)
    return Time(sec=sec, nanosec=int((seconds - sec) * 1e9))


def command_callback(
    driver: DeviceDriver, expected: tuple[str, ...]
) -> Callable[[JointState], None]:
    """Subscription callback feeding JointState commands to ``driver`` (header stamps, which are
    wall-clock time, are moved onto the monotonic clock the driver runs on)."""
    clock = WallToMonotonic()

    def callback(msg: JointState) -> None:
        now = time.monotonic()
        q, why = order_command(list(msg.name), list(msg.position), expected)
        stamp = stamp_seconds(msg.header.stamp)
        stamp_mono = None if stamp == 0.0 else clock.to_monotonic(stamp)
        driver.offer(now, q, stamp_mono, why=why)

    return callback


def joint_state(measurement: Measurement, stamp: Time) -> JointState:
    """A JointState of ``measurement``."""
    msg = JointState()
    msg.header.stamp = stamp
    msg.name = list(measurement.names)
    msg.position = [float(x) for x in measurement.position]
    if measurement.effort is not None:
        msg.effort = [float(x) for x in measurement.effort]
    return msg


def diagnostics(
    name: str, hardware_id: str, driver: DeviceDriver, loop: RateLoop, stamp: Time
) -> DiagnosticArray:
    """One DiagnosticArray with the driver's status, loop statistics and counters."""
    status = driver.status()
    level, message = summarize(status)
    values = dict(status)
    values["loop_rate_hz"] = 1.0 / loop.period
    values["loop_overruns"] = loop.stats.overruns
    for key, value in loop.stats.summary().items():
        values[f"loop_{key}_ms"] = value * 1e3
    diag = DiagnosticStatus(
        level=bytes([level]), name=name, message=message, hardware_id=hardware_id
    )
    diag.values = [KeyValue(key=k, value=v) for k, v in flatten(values)]
    array = DiagnosticArray()
    array.header.stamp = stamp
    array.status = [diag]
    return array


def bind_trigger(node: Node, service: str, driver: DeviceDriver, request: str, group=None) -> None:
    """A std_srvs/Trigger service that queues ``request`` for the driver's next tick."""

    def handle(_req: Trigger.Request, resp: Trigger.Response) -> Trigger.Response:
        future = driver.request(request)
        try:
            resp.success, resp.message = future.result(timeout=SERVICE_WAIT)
        except TimeoutError:
            resp.success = True
            resp.message = f"{request} queued; the driver loop is busy (reconnecting?)"
        return resp

    node.create_service(Trigger, service, handle, callback_group=group)


class ChangeLogger:
    """Logs a driver's mode changes, faults and new errors once each (not every period)."""

    def __init__(self, logger) -> None:
        self.logger = logger
        self._mode = ""
        self._fault = ""
        self._error = ""

    def update(self, driver: DeviceDriver) -> None:
        mode = driver.gate.mode.value
        if mode != self._mode:
            self.logger.info(f"{driver.device}: {self._mode or 'start'} -> {mode}")
            self._mode = mode
        fault = driver.gate.fault or ""
        if fault and fault != self._fault:
            self.logger.error(f"{driver.device} fault: {fault}")
        self._fault = fault
        if driver.last_error and driver.last_error != self._error:
            self.logger.warning(f"{driver.device}: {driver.last_error}")
        self._error = driver.last_error


class LoopThread:
    """Runs a ``RateLoop`` in a daemon thread until ``stop``."""

    def __init__(self, loop: RateLoop) -> None:
        self.loop = loop
        self._stop = threading.Event()
        self._thread = threading.Thread(target=loop.run, args=(self._stop,), daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop the loop and wait for its current tick to end; False if it is still running
        after ``timeout`` [s] (a tick blocked on the device)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()


def run_driver_node(make_node: Callable[[], Node], args: list[str] | None = None) -> None:
    """Run a driver node until SIGINT/SIGTERM, then stop it in an order that is safe for its
    loop thread: the loop stops (and releases the device) while the ROS context is still valid,
    and only then are the node and the context shut down.

    rclpy's own signal handlers shut the context down from inside the signal, while the loop
    thread may be publishing; so they are not installed and the signal only sets a flag that the
    spinning main thread polls. ``make_node()`` builds a node with a ``close()`` method.
    """
    stop = init_ros(args)
    node = None
    executor = MultiThreadedExecutor(num_threads=2)
    try:
        node = make_node()
        executor.add_node(node)
        spin_until(executor, stop)
    finally:
        if node is not None:
            node.close()
        executor.shutdown()
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()


class DriverNode(Node):
    """What the arm and hand driver nodes share: read-only parameters, the side and rate checks,
    ``<side>/<part>/{command,joint_states}``, ``/diagnostics``, Trigger services, the fixed-rate
    loop thread and the shutdown order. A subclass declares its parameters, builds its pure driver
    and gate from them, and calls :meth:`start`.
    """

    def __init__(self, name: str, parameters: Mapping[str, Any]) -> None:
        super().__init__(name)
        self.params = {
            key: self.declare_parameter(key, default).value for key, default in parameters.items()
        }
        read_only_parameters(self, "driver parameters")
        self.side = str(self.params["side"])
        if self.side not in ("left", "right"):
            raise ConfigError(f"parameter side must be 'left' or 'right', got {self.side!r}")
        self.rate = float(self.params["rate_hz"])
        if not self.rate > 0:
            raise ConfigError(f"parameter rate_hz must be > 0, got {self.rate}")

    def start(
        self,
        part: str,
        driver: DeviceDriver,
        joint_names: tuple[str, ...],
        hardware_id: str,
        part_services: Sequence[str],
        summary: str,
    ) -> None:
        """Wire ``driver`` (the ``part``, "arm" or "hand", of this side) and start its loop.

        ``part_services`` are driver requests served as ``<side>/<part>/<request>``; ``estop``
        and ``estop_reset`` are always served (global names).
        """
        side = self.side
        self.driver = driver
        self.hardware_id = hardware_id
        self.diag_name = f"{self.get_name()}: {side} {part}"
        # on the clock, not every n-th tick: a loop slowed by device timeouts (0.2-1 s per tick)
        # reported every 5-25 s, and the player took the silent driver for a not-ready one
        diag_rate = float(self.params["diagnostics_rate_hz"])
        if not diag_rate > 0:
            raise ConfigError(f"parameter diagnostics_rate_hz must be > 0, got {diag_rate}")
        self.diag_period = 1.0 / diag_rate
        self.next_diag = 0.0
        self.pub_state = self.create_publisher(JointState, f"{side}/{part}/joint_states", 10)
        self.pub_diag = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_subscription(
            JointState, f"{side}/{part}/command", command_callback(driver, joint_names), 10
        )
        services = ReentrantCallbackGroup()
        for request in part_services:
            bind_trigger(self, f"{side}/{part}/{request}", driver, request, services)
        for request in ("estop", "estop_reset"):
            bind_trigger(self, request, driver, request, services)
        self.log_changes = ChangeLogger(self.get_logger())
        self.loop = RateLoop(self.rate, self._tick)
        self.thread = LoopThread(self.loop)
        self.thread.start()
        self.get_logger().info(
            f"{summary}, {self.rate:.0f} Hz; waiting for commands to soft-start"
        )

    def _tick(self, now: float) -> None:
        measurement = self.driver.tick(now)
        self.log_changes.update(self.driver)
        stamp = to_time(time.time())
        if measurement is not None:
            self.pub_state.publish(joint_state(measurement, stamp))
        if now >= self.next_diag:
            self.next_diag = next_due(self.next_diag, now, self.diag_period)
            self.pub_diag.publish(
                diagnostics(self.diag_name, self.hardware_id, self.driver, self.loop, stamp)
            )

    def close(self) -> None:
        """Stop the loop, then disconnect (the device keeps its last set-point); called before
        the ROS context shuts down, so the loop never publishes into a dead context."""
        if not self.thread.stop():
            self.get_logger().warning("driver loop still busy after 5 s; closing anyway")
        self.driver.disconnect(time.monotonic())
