"""RealMan arm controller client: JSON over one TCP connection (default 192.168.1.18:8080).

A request is one CRLF line; its reply is the first message whose identifier (``state`` if a
string, else ``command``) is the one that request expects. Unsolicited messages met on the way
(``current_trajectory_state`` when a ``movej`` ends, gen-2 per-frame passthrough echoes) are
consumed, and the trajectory ones remembered.

A request that times out leaves a reply possibly still in flight, which a later request of the
same kind could mistake for its own. For a command (a move, a stop) the outcome is unknown, so
its timeout closes the connection and the driver reconnects. A read (state, health) changes
nothing: its timeout keeps the connection and remembers the reply it is still owed; the first
reply of that kind to arrive later is that one (TCP keeps the order, the controller answers in
order) and is dropped. ``MAX_OWED`` replies owed at once means the controller is not answering:
the next timeout closes the connection.

State can also come by the controller's UDP real-time push (`start_push`): it sends one JSON
datagram every few ms to a port of ours, so reading the state costs no request and no wait.
"""

from __future__ import annotations

import socket
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from realman_inspire_driver.codecs import realman_json as rj
from realman_inspire_driver.errors import (
    CommandRejectedError,
    ConfigError,
    ConnectionLostError,
    DeviceTimeoutError,
    DriverError,
    FrameError,
    LateReplyError,
    TransportError,
)

MAX_OWED = 3
"""Late read replies the client may still be owed before a timeout closes the connection."""


@dataclass(frozen=True)
class ArmLinkConfig:
    """Where and how to reach one arm controller.

    Attributes:
        host: controller IP address.
        port: controller TCP port.
        dof: joints the arm must have (the RM75 has 7); the controller's product string is
            checked against it on connect.
        timeout: per-request deadline [s].
        connect_timeout: TCP connect deadline [s].
        follow: passthrough ``follow`` flag (True = high follow, needs a period ≤ 10 ms).
    """

    host: str = "192.168.1.18"
    port: int = 8080
    dof: int = 7
    timeout: float = 0.2
    connect_timeout: float = 1.0
    follow: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ConfigError(f"port must be in 1..65535, got {self.port}")
        if self.dof not in (6, 7):
            raise ConfigError(f"dof must be 6 or 7, got {self.dof}")
        if self.timeout <= 0 or self.connect_timeout <= 0:
            raise ConfigError(
                f"timeouts must be > 0 s, got {self.timeout} and {self.connect_timeout}"
            )


class RealManArm:
    """One controller connection. Not thread-safe: one caller (the driver loop) at a time."""

    def __init__(self, config: ArmLinkConfig) -> None:
        self.config = config
        self.info: rj.SoftwareInfo | None = None
        self.last_trajectory: rj.TrajectoryState | None = None
        self.unsolicited = 0  # messages received that answered no request
        self.late_dropped = 0  # late read replies recognised and dropped
        self._owed: Counter[str] = Counter()  # reply kind -> late replies still to come
        self._sock: socket.socket | None = None
        self._udp: socket.socket | None = None
        self._push_peer = ""  # the controller's address: the only sender of pushes taken
        self._framer = rj.LineFramer()
        self.pushes = 0  # push datagrams received from the controller
        self.pushes_ignored = 0  # datagrams on the push port from another sender

    @property
    def connected(self) -> bool:
        """A TCP connection is open (it may still turn out dead on the next request)."""
        return self._sock is not None

    def connect(self) -> rj.SoftwareInfo:
        """Open the connection and check the controller drives a ``dof``-joint arm."""
        self.close()
        cfg = self.config
        try:
            sock = socket.create_connection((cfg.host, cfg.port), timeout=cfg.connect_timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError as exc:
            raise ConnectionLostError(f"cannot connect to {cfg.host}:{cfg.port}: {exc}") from exc
        self._sock = sock
        self._framer.clear()
        info = rj.parse_software_info(
            self.request(rj.encode("get_arm_software_info"), "arm_software_info")
        )
        if info.dof != cfg.dof:
            self.close()
            raise ConfigError(
                f"controller at {cfg.host}:{cfg.port} drives a {info.product_version} "
                f"({info.dof} joints), expected {cfg.dof} joints"
            )
        self.info = info
        return info

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
        self._sock = None
        self._framer.clear()
        self._owed.clear()
        if self._udp is not None:
            self._udp.close()
            self._udp = None

    # transport ----------------------------------------------------------------------------

    def _socket(self) -> socket.socket:
        if self._sock is None:
            raise ConnectionLostError(f"not connected to {self.config.host}:{self.config.port}")
        return self._sock

    def _fail(self, exc: DriverError) -> DriverError:
        self.close()
        return exc

    def _send(self, data: bytes) -> None:
        sock = self._socket()
        try:
            sock.settimeout(self.config.timeout)
            sock.sendall(data)
        except OSError as exc:
            raise self._fail(ConnectionLostError(f"send failed: {exc}")) from exc

    def _receive(self, timeout: float) -> bool:
        """Read what arrives within ``timeout`` [s] into the framer; False if nothing came."""
        sock = self._socket()
        try:
            sock.settimeout(timeout)
            chunk = sock.recv(65536)
        except (TimeoutError, BlockingIOError):
            return False
        except OSError as exc:
            raise self._fail(ConnectionLostError(f"receive failed: {exc}")) from exc
        if not chunk:
            raise self._fail(
                ConnectionLostError(
                    f"controller {self.config.host}:{self.config.port} closed the connection"
                )
            )
        self._framer.feed(chunk)
        return True

    def _take_unsolicited(self, message: dict[str, Any], key: str) -> None:
        self.unsolicited += 1
        if key == "current_trajectory_state":
            self.last_trajectory = rj.parse_trajectory_state(message)

    def _late(self, key: str) -> bool:
        """``key`` is a reply a timed-out read is still owed: drop it (True)."""
        if self._owed[key] <= 0:
            return False
        self._owed[key] -= 1
        self.late_dropped += 1
        return True

    def poll(self) -> None:
        """Consume whatever has arrived without waiting (asynchronous messages, stale replies)."""
        while self._receive(0.0):
            pass
        while (message := self._framer.next_message()) is not None:
            key = rj.reply_key(message)
            if not self._late(key):
                self._take_unsolicited(message, key)

    def request(self, line: bytes, expect: str, *, read: bool = False) -> dict[str, Any]:
        """Send one request line and return the first reply identified as ``expect``.

        ``read``: the request changes nothing on the controller (see the module docstring).

        Raises:
            LateReplyError: a read's reply did not come within the timeout (the connection is
                kept and the late reply will be dropped).
            DeviceTimeoutError: no such reply within the timeout (the connection is closed).
            FrameError: a malformed message arrived (the connection is closed).
            ConnectionLostError: the connection failed or was closed by the controller.
        """
        try:
            self.poll()
        except FrameError as exc:
            raise self._fail(exc) from exc
        self._send(line)
        deadline = time.monotonic() + self.config.timeout
        try:
            while True:
                while (message := self._framer.next_message()) is not None:
                    key = rj.reply_key(message)
                    if self._late(key):
                        continue
                    if key == expect:
                        return message
                    self._take_unsolicited(message, key)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    what = (
                        f"no '{expect}' reply from {self.config.host}:{self.config.port} "
                        f"within {self.config.timeout * 1e3:.0f} ms"
                    )
                    if read and sum(self._owed.values()) < MAX_OWED:
                        self._owed[expect] += 1
                        raise LateReplyError(f"{what} (connection kept)")
                    raise DeviceTimeoutError(what)
                self._receive(remaining)
        except LateReplyError:
            raise
        except (DeviceTimeoutError, FrameError) as exc:
            raise self._fail(exc) from exc

    # commands -----------------------------------------------------------------------------

    def _dof(self) -> int:
        return self.info.dof if self.info is not None else self.config.dof

    def get_state(self) -> rj.ArmState:
        """Joint angles [rad], flange pose and active error codes."""
        reply = self.request(rj.encode("get_current_arm_state"), "current_arm_state", read=True)
        try:
            return rj.parse_arm_state(reply, self._dof())
        except FrameError as exc:
            raise self._fail(exc) from exc

    def get_health(self) -> rj.JointHealth:
        """Joint temperatures, currents, voltages, error and enable flags."""
        reply = self.request(rj.encode("get_arm_all_state"), "arm_all_state", read=True)
        try:
            return rj.parse_all_state(reply, self._dof())
        except FrameError as exc:
            raise self._fail(exc) from exc

    @property
    def pushing(self) -> bool:
        """`start_push` succeeded on this connection."""
        return self._udp is not None

    @property
    def push_port(self) -> int | None:
        """The UDP port the state push comes to (None before `start_push`)."""
        return None if self._udp is None else self._udp.getsockname()[1]

    def start_push(self, port: int, period: float) -> None:
        """Ask the controller to push its state to this computer's ``port`` (UDP; 0: a free
        one) every ``period`` [s] (5 ms steps), and listen there. The target address is the one
        this computer has toward the controller (the TCP connection's local address).

        Raises:
            TransportError: the port cannot be bound (in use: one port per arm).
            CommandRejectedError: the controller refused the push settings.
        """
        sock = self._socket()
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.bind(("0.0.0.0", port))
        except OSError as exc:
            udp.close()
            raise TransportError(f"cannot listen for the state push on UDP {port}: {exc}") from exc
        udp.setblocking(False)
        try:
            bound = udp.getsockname()[1]
            reply = self.request(
                rj.set_realtime_push(period, bound, sock.getsockname()[0]), "set_realtime_push"
            )
            if not rj.parse_bool(reply, "state"):
                raise CommandRejectedError(
                    f"the controller refused the state push to port {bound}"
                )
        except BaseException:
            udp.close()
            raise
        self._udp = udp
        self._push_peer = sock.getpeername()[0]

    def pushed_state(self) -> rj.ArmState | None:
        """The newest state the controller pushed since the last call (None: none came).
        Datagrams from any other address than the controller's are ignored."""
        if self._udp is None:
            raise ConnectionLostError("the state push is not started")
        newest = None
        while True:
            try:
                data, (host, _port) = self._udp.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                raise self._fail(ConnectionLostError(f"state push socket failed: {exc}")) from exc
            if host != self._push_peer:
                self.pushes_ignored += 1
                continue
            self.pushes += 1
            newest = data
        return None if newest is None else rj.parse_push(newest, self._dof())

    def movej(self, q: Sequence[float] | np.ndarray, speed_percent: int) -> None:
        """Start a planned joint move to ``q`` [rad]; returns once the controller accepted it.
        Its end arrives later as ``last_trajectory`` (see ``poll``)."""
        self.last_trajectory = None
        reply = self.request(rj.movej(q, self._dof(), speed_percent), "movej")
        if not rj.parse_bool(reply, "receive_state"):
            raise CommandRejectedError(f"controller refused movej to {np.asarray(q).tolist()}")

    def stream(self, q: Sequence[float] | np.ndarray) -> None:
        """Send one passthrough set-point ``q`` [rad] (``movej_canfd``; no reply)."""
        self._send(rj.movej_canfd(q, self._dof(), follow=self.config.follow))

    def stop(self) -> None:
        """``set_arm_stop``: halt as fast as possible; the trajectory cannot be resumed."""
        reply = self.request(rj.encode("set_arm_stop"), "set_arm_stop")
        if not rj.parse_bool(reply, "arm_stop"):
            raise CommandRejectedError("controller answered false to set_arm_stop")

    def clear_system_err(self) -> None:
        """``clear_system_err``: reset the controller's latched errors."""
        reply = self.request(rj.encode("clear_system_err"), "clear_system_err")
        if not rj.parse_bool(reply, "clear_state"):
            raise CommandRejectedError("controller answered false to clear_system_err")
