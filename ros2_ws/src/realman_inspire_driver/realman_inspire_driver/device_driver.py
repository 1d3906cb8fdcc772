"""What the arm and the hand driver share: connection life cycle, command intake, requests from
other threads, failure handling and status. Device specifics live in the subclasses' hooks.

Threads: ROS callbacks call ``offer`` and ``request`` from the executor; everything else, device
I/O and the safety gate included, runs in the loop thread's ``tick``. The two meet only through a
lock-protected queue, so a callback never waits on the bus.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from realman_inspire_driver.errors import (
    ConnectionLostError,
    DeviceTimeoutError,
    DriverError,
    LateReplyError,
)
from realman_inspire_driver.loop import Backoff
from realman_inspire_driver.safety.gate import Action, SafetyGate


@dataclass(frozen=True)
class Measurement:
    """One measured state for ``joint_states``: positions [rad], efforts (hand: force [N])."""

    names: tuple[str, ...]
    position: np.ndarray
    effort: np.ndarray | None = None


class DeviceDriver:
    """Base of ``ArmDriver`` and ``HandDriver``.

    Args:
        gate: the safety gate of this device.
        failures_to_disconnect: consecutive failed ticks after which the device counts as lost
            (a lost connection or a timeout counts as lost at once when ``timeout_is_loss``,
            except a `LateReplyError`: the link was kept).
        backoff: reconnect back-off.
    """

    device = "device"
    timeout_is_loss = True

    def __init__(
        self, gate: SafetyGate, failures_to_disconnect: int = 3, backoff: Backoff | None = None
    ) -> None:
        self.gate = gate
        self.failures_to_disconnect = max(1, failures_to_disconnect)
        self.backoff = backoff or Backoff()
        self.connected = False
        self.failures = 0
        self.reconnects = 0
        self.errors_seen = 0
        self.last_error = ""
        self.measurement: Measurement | None = None
        self._lock = threading.Lock()
        self._commands: deque[tuple[float, np.ndarray, float | None]] = deque(maxlen=256)
        self._pre_rejections: list[str] = []
        self._requests: deque[tuple[str, Future]] = deque()
        self._latches_sent: set[str] = set()
        self._now = 0.0

    # called from other threads ------------------------------------------------------------

    def offer(
        self, now: float, q: np.ndarray | None, stamp: float | None = None, *, why=""
    ) -> None:
        """Queue a command received at ``now`` [s] (monotonic) stamped ``stamp``; ``q`` None
        means the message could not be mapped to this device's joints (``why`` says how)."""
        with self._lock:
            if q is None:
                self._pre_rejections.append(why or "names")
            else:
                self._commands.append((now, q, stamp))

    def request(self, name: str) -> Future:
        """Queue a request (``estop``, ``estop_reset``, ``stop``, ``resume``, ``clear_error``)
        for the next tick; the future resolves to (success, message)."""
        future: Future = Future()
        with self._lock:
            self._requests.append((name, future))
        return future

    # loop thread --------------------------------------------------------------------------

    def tick(self, now: float) -> Measurement | None:
        """One control period at ``now`` [s]; returns the state measured in it, if any."""
        self._now = now
        with self._lock:
            commands = list(self._commands)
            self._commands.clear()
            pre = self._pre_rejections
            self._pre_rejections = []
            requests = list(self._requests)
            self._requests.clear()
        for reason in pre:
            self.gate.rejections[reason] += 1
        for name, future in requests:
            future.set_result(self._handle_request(name))
        for t, q, stamp in commands:
            self.gate.submit(t, q, stamp)
        self.measurement = None
        if not self.connected:
            if self.backoff.due(now):
                self._try_connect(now)
            return None
        try:
            self._apply_latches()
            self.measurement = self._cycle(now)
            self.failures = 0
        except DriverError as exc:
            self._failed(now, exc)
        return self.measurement

    def _try_connect(self, now: float) -> None:
        try:
            measured = self._open()
        except DriverError as exc:
            self._close()
            self.last_error = f"connect: {exc}"
            self.errors_seen += 1
            self.backoff.failed(now)
            return
        self.connected = True
        self.reconnects += 1
        self.backoff.succeeded()
        self.failures = 0
        self._latches_sent.clear()
        self.gate.on_connected(measured)

    def _failed(self, now: float, exc: DriverError) -> None:
        self.failures += 1
        self.errors_seen += 1
        self.last_error = f"{type(exc).__name__}: {exc}"
        lost = isinstance(exc, ConnectionLostError) or (
            self.timeout_is_loss
            and isinstance(exc, DeviceTimeoutError)
            and not isinstance(exc, LateReplyError)  # the link was kept
        )
        if lost or self.failures >= self.failures_to_disconnect:
            self.disconnect(now)

    def disconnect(self, now: float) -> None:
        """Drop the device: stop streaming, close, reconnect after back-off, soft start again."""
        self._close()
        self.connected = False
        self.gate.on_disconnected()
        self.backoff.failed(now)

    def _apply_latches(self) -> None:
        """Send the device's stop once per new latch (e-stop, stop)."""
        for reason in self.gate.latches:
            if reason not in self._latches_sent:
                self._on_latch(reason)
                self._latches_sent.add(reason)
        self._latches_sent &= set(self.gate.latches)

    def _handle_request(self, name: str) -> tuple[bool, str]:
        handlers: dict[str, Callable[[], str]] = {
            "estop": lambda: self._latch("estop"),
            "estop_reset": lambda: self._unlatch("estop"),
            "stop": lambda: self._latch("stop"),
            "resume": lambda: self._unlatch("stop"),
            "clear_error": self._clear_error,
        }
        if name not in handlers:
            return False, f"unknown request {name!r}; known: {sorted(handlers)}"
        try:
            return True, handlers[name]()
        except DriverError as exc:
            self.last_error = f"{name}: {exc}"
            return False, f"{name} failed: {exc}"

    def _latch(self, reason: str) -> str:
        self.gate.latch(reason)
        if self.connected:
            try:
                self._apply_latches()
            except DriverError as exc:
                self._failed(self._now, exc)
                return f"{reason} latched; device stop command failed: {exc}"
        return f"{reason} latched: {self.device} stopped until {reason} is cleared"

    def _unlatch(self, reason: str) -> str:
        self.gate.clear_latch(reason)
        return f"{reason} cleared: soft start required before streaming resumes"

    def status(self) -> dict[str, object]:
        """Everything the diagnostics report about this device."""
        return {
            "device": self.device,
            "connected": self.connected,
            "reconnects": self.reconnects,
            "errors_seen": self.errors_seen,
            "last_error": self.last_error,
            **self.gate.report(),
            **self._device_status(),
        }

    # hooks --------------------------------------------------------------------------------

    def _open(self) -> np.ndarray:
        """Connect and return the measured joint positions [rad]."""
        raise NotImplementedError

    def _close(self) -> None:
        """Release the connection (must not raise)."""
        raise NotImplementedError

    def _cycle(self, now: float) -> Measurement:
        """Measure, step the gate, send its action; return the measurement."""
        raise NotImplementedError

    def _on_latch(self, reason: str) -> None:
        """Stop the device now (a latch was set)."""
        raise NotImplementedError

    def _clear_error(self) -> str:
        """Clear the device's latched errors and the gate's fault."""
        raise NotImplementedError

    def _device_status(self) -> dict[str, object]:
        """Device-specific diagnostics (error words, temperatures, transport counters)."""
        return {}

    def _send(self, action: Action) -> None:
        """Execute the gate's action on the device."""
        raise NotImplementedError
