"""Byte links under the hand transports: a serial port (pyserial) and a TCP socket.

A link moves bytes and enforces deadlines; it knows nothing of frames. OS errors become
``ConnectionLostError`` (the port vanished, the peer closed) and a missed deadline becomes
``DeviceTimeoutError`` carrying whatever partial bytes arrived.
"""

from __future__ import annotations

import socket
import time
from typing import Protocol

import serial

from realman_inspire_driver.errors import ConnectionLostError, DeviceTimeoutError

BITS_PER_BYTE = 10  # 8N1: start bit, 8 data bits, stop bit


class ByteLink(Protocol):
    """What a frame transport needs from the wire."""

    def write(self, data: bytes) -> None:
        """Send every byte of ``data``."""

    def read_exact(self, n: int, deadline: float) -> bytes:
        """Exactly ``n`` bytes, or ``DeviceTimeoutError`` at ``deadline`` (time.monotonic)."""

    def discard_input(self, quiet: float = 0.0) -> int:
        """Drop buffered input; with ``quiet`` > 0, keep dropping until the line is silent that
        long [s]. Returns the number of bytes dropped."""

    def close(self) -> None:
        """Release the port or socket."""


class SerialLink:
    """An RS485/USB serial port at ``baudrate`` 8N1.

    Args:
        port: device path, e.g. ``/dev/ttyUSB0`` (a pseudo-terminal works too).
        baudrate: line rate [bit/s].
    """

    def __init__(self, port: str, baudrate: int = 115200) -> None:
        self.port = port
        self.baudrate = baudrate
        try:
            self._serial = serial.Serial(
                port, baudrate, bytesize=8, parity="N", stopbits=1, timeout=0, write_timeout=1.0
            )
        except (serial.SerialException, OSError, ValueError) as exc:
            raise ConnectionLostError(f"cannot open serial port {port!r}: {exc}") from exc

    @property
    def byte_time(self) -> float:
        """Wire time of one byte [s] (10 bits at the line rate)."""
        return BITS_PER_BYTE / self.baudrate

    def write(self, data: bytes) -> None:
        try:
            self._serial.write(data)
            self._serial.flush()
        except (serial.SerialException, OSError) as exc:
            raise ConnectionLostError(f"write to {self.port} failed: {exc}") from exc

    def read_exact(self, n: int, deadline: float) -> bytes:
        buf = bytearray()
        try:
            while len(buf) < n:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise DeviceTimeoutError(
                        f"{self.port}: {len(buf)} of {n} reply bytes before the deadline",
                        received=bytes(buf),
                    )
                self._serial.timeout = remaining
                buf += self._serial.read(n - len(buf))
        except (serial.SerialException, OSError, TypeError) as exc:
            raise ConnectionLostError(f"read from {self.port} failed: {exc}") from exc
        return bytes(buf)

    def discard_input(self, quiet: float = 0.0) -> int:
        dropped = 0
        try:
            dropped += self._serial.in_waiting
            self._serial.reset_input_buffer()
            while quiet > 0:
                self._serial.timeout = quiet
                chunk = self._serial.read(4096)
                if not chunk:
                    break
                dropped += len(chunk)
        except (serial.SerialException, OSError, TypeError) as exc:
            raise ConnectionLostError(f"flushing {self.port} failed: {exc}") from exc
        return dropped

    def close(self) -> None:
        try:
            self._serial.close()
        except (serial.SerialException, OSError):
            pass


class TcpLink:
    """A TCP connection (Modbus TCP hands, default port 6000)."""

    def __init__(self, host: str, port: int, connect_timeout: float = 1.0) -> None:
        self.host, self.port = host, port
        try:
            self._sock = socket.create_connection((host, port), timeout=connect_timeout)
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError as exc:
            raise ConnectionLostError(f"cannot connect to {host}:{port}: {exc}") from exc

    def write(self, data: bytes) -> None:
        try:
            self._sock.settimeout(1.0)
            self._sock.sendall(data)
        except OSError as exc:
            raise ConnectionLostError(f"send to {self.host}:{self.port} failed: {exc}") from exc

    def read_exact(self, n: int, deadline: float) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeviceTimeoutError(
                    f"{self.host}:{self.port}: {len(buf)} of {n} reply bytes before the deadline",
                    received=bytes(buf),
                )
            try:
                self._sock.settimeout(remaining)
                chunk = self._sock.recv(n - len(buf))
            except TimeoutError:
                continue
            except OSError as exc:
                raise ConnectionLostError(f"{self.host}:{self.port}: {exc}") from exc
            if not chunk:
                raise ConnectionLostError(f"{self.host}:{self.port} closed the connection")
            buf += chunk
        return bytes(buf)

    def discard_input(self, quiet: float = 0.0) -> int:
        dropped = 0
        try:
            self._sock.settimeout(quiet if quiet > 0 else 0.0)
            while True:
                chunk = self._sock.recv(4096)
                if not chunk:
                    raise ConnectionLostError(f"{self.host}:{self.port} closed the connection")
                dropped += len(chunk)
        except (BlockingIOError, TimeoutError):
            return dropped
        except ConnectionLostError:
            raise
        except OSError as exc:
            raise ConnectionLostError(f"{self.host}:{self.port}: {exc}") from exc

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass
