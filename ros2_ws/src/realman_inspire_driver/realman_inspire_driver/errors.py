"""The package's exceptions: one root, one subclass per thing that can go wrong on a wire.

Every parser and client raises only these (the fuzz tests hold the parsers to it), and every
message says what was expected and what was found, so a log line is enough to debug a bus.
"""

from __future__ import annotations


class DriverError(Exception):
    """Root of every error this package raises."""


class ConfigError(DriverError, ValueError):
    """A parameter or configuration value is invalid (names the key, the value, what is valid)."""


class TransportError(DriverError):
    """The byte transport (serial port, TCP socket) failed: not open, closed, an OS error."""


class ConnectionLostError(TransportError):
    """The peer closed the connection or the device disappeared; reconnecting may help."""


class DeviceTimeoutError(DriverError):
    """No complete reply arrived within the per-transaction timeout."""

    def __init__(self, message: str, *, received: bytes = b"") -> None:
        super().__init__(message)
        self.received = received  # whatever partial reply did arrive


class LateReplyError(DeviceTimeoutError):
    """A read request's reply is late, but the link is kept: the reply still owed is recognised
    and dropped when it comes (a loaded controller or network, not a lost one)."""


class FrameError(DriverError):
    """A frame is malformed: wrong length, wrong header, wrong echo, undecodable payload."""

    def __init__(self, message: str, *, frame: bytes = b"") -> None:
        super().__init__(message)
        self.frame = frame


class ChecksumError(FrameError):
    """A frame arrived whole but its CRC or checksum does not match its content."""


class ModbusExceptionError(DriverError):
    """The device answered with a Modbus exception response (function code | 0x80)."""

    def __init__(self, function_code: int, exception_code: int, name: str) -> None:
        super().__init__(
            f"Modbus exception reply to function 0x{function_code:02X}: "
            f"code {exception_code} ({name})"
        )
        self.function_code = function_code
        self.exception_code = exception_code
        self.name = name


class DeviceFaultError(DriverError):
    """The device reports a fault of its own (hand error bits, arm controller error codes)."""

    def __init__(self, message: str, *, codes: tuple[int, ...] = (), words: tuple[str, ...] = ()):
        super().__init__(message)
        self.codes = codes  # raw codes or bit fields as the device reported them
        self.words = words  # the same, decoded to names


class CommandRejectedError(DriverError):
    """The device refused a command (a setter answered false, a move was not received)."""
