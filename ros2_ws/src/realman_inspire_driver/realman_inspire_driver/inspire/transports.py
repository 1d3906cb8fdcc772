"""Hand transports: one request, one checked reply, over Modbus RTU, Modbus TCP or native frames.

Each transport exposes the same three operations on the register map (read an array, write an
array, write one register), so the hand client is protocol-agnostic. A transaction has one
deadline; a timeout or a bad frame leaves the line in an unknown state, so the next transaction
first waits for silence and drops whatever late bytes arrived.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from realman_inspire_driver.codecs import inspire_native, modbus_pdu, modbus_rtu, modbus_tcp
from realman_inspire_driver.errors import (
    ChecksumError,
    ConfigError,
    DeviceTimeoutError,
    FrameError,
    ModbusExceptionError,
)
from realman_inspire_driver.inspire import registers as regs
from realman_inspire_driver.inspire.links import ByteLink, SerialLink, TcpLink

PROTOCOLS = ("modbus_rtu", "modbus_tcp", "inspire_serial")
PROTOCOL_ALIASES = {"native": "inspire_serial"}  # the mock rig's name for the native protocol
MODBUS_MIN_GAP = 1.75e-3  # [s] Modbus RTU inter-frame silence above 19200 baud


@dataclass
class TransportStats:
    """Counters of one transport since it was opened."""

    transactions: int = 0
    timeouts: int = 0
    checksum_errors: int = 0
    frame_errors: int = 0
    exception_replies: int = 0
    stale_replies: int = 0  # late replies to earlier requests, recognised and dropped
    bytes_dropped: int = 0
    last_error: str = ""
    by_kind: dict[str, int] = field(default_factory=dict)


class HandTransport(Protocol):
    """The three register operations every hand protocol provides."""

    stats: TransportStats

    def read_array(self, array: regs.RegisterArray) -> tuple[int, ...]:
        """The 6 elements of ``array``."""

    def write_array(self, array: regs.RegisterArray, values: Sequence[int]) -> None:
        """Write the 6 elements of ``array`` (validated by ``registers.check_values``)."""

    def write_single(self, address: int, value: int) -> None:
        """Write one 16-bit register (CLEAR_ERROR, SAVE, ...)."""

    def close(self) -> None:
        """Release the link."""


class _FramedTransport:
    """Shared bookkeeping: statistics, error accounting and resynchronisation after errors."""

    def __init__(self, link: ByteLink, timeout: float, quiet: float) -> None:
        if timeout <= 0:
            raise ConfigError(f"transaction timeout must be > 0 s, got {timeout}")
        self.link = link
        self.timeout = timeout
        self.quiet = quiet  # silence [s] awaited after an error before the next request
        self.stats = TransportStats()
        self._dirty = False

    def _begin(self) -> float:
        if self._dirty:
            self.stats.bytes_dropped += self.link.discard_input(self.quiet)
            self._dirty = False
        else:
            self.stats.bytes_dropped += self.link.discard_input()
        self.stats.transactions += 1
        return time.monotonic() + self.timeout

    def _account(self, exc: Exception) -> None:
        kind = type(exc).__name__
        self.stats.by_kind[kind] = self.stats.by_kind.get(kind, 0) + 1
        self.stats.last_error = str(exc)
        if isinstance(exc, DeviceTimeoutError):
            self.stats.timeouts += 1
        elif isinstance(exc, ChecksumError):
            self.stats.checksum_errors += 1
        elif isinstance(exc, FrameError):
            self.stats.frame_errors += 1
        elif isinstance(exc, ModbusExceptionError):
            self.stats.exception_replies += 1
        if not isinstance(exc, ModbusExceptionError):
            self._dirty = True

    def close(self) -> None:
        self.link.close()


class _ModbusTransport(_FramedTransport):
    """Register access shared by the Modbus framings; a subclass supplies ``_transact``."""

    def _transact(self, req: modbus_pdu.Request) -> tuple[int, ...]:
        raise NotImplementedError

    def read_array(self, array: regs.RegisterArray) -> tuple[int, ...]:
        words = self._transact(modbus_pdu.read_request(array.address, array.n_registers))
        return regs.from_registers(array, words)

    def write_array(self, array: regs.RegisterArray, values: Sequence[int]) -> None:
        words = regs.to_registers(array, regs.check_values(array, values))
        self._transact(modbus_pdu.write_multiple_request(array.address, words))

    def write_single(self, address: int, value: int) -> None:
        self._transact(modbus_pdu.write_request(address, [value]))


class ModbusRtuTransport(_ModbusTransport):
    """Modbus RTU over a serial link to slave ``slave``.

    Args:
        link: the serial link (or any ``ByteLink``).
        slave: Modbus slave id of the hand (1..247).
        timeout: per-transaction deadline [s], request written to reply checked.
        byte_time: wire time of one byte [s]; sets the inter-frame silence.
    """

    def __init__(
        self, link: ByteLink, slave: int = 1, timeout: float = 0.05, byte_time: float = 1 / 11520
    ) -> None:
        modbus_rtu.encode_adu(slave, b"\x03")  # validates the slave id
        self.gap = max(3.5 * byte_time, MODBUS_MIN_GAP)
        # After an error, wait for the line to stay silent as long as a reply may be late, so a
        # late reply to the failed request is dropped rather than taken for the next one's.
        super().__init__(link, timeout, quiet=max(timeout, 2 * self.gap))
        self.slave = slave
        self._last_rx = 0.0

    def _transact(self, req: modbus_pdu.Request) -> tuple[int, ...]:
        deadline = self._begin()
        try:
            wait = self._last_rx + self.gap - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self.link.write(modbus_rtu.encode_request(self.slave, req))
            head = self.link.read_exact(modbus_rtu.HEAD_LENGTH, deadline)
            while head[1] not in (req.function, req.function | 0x80):
                head = self._drop_stale(req, head, deadline)
            total = modbus_rtu.reply_length(req, head)
            frame = head + self.link.read_exact(total - len(head), deadline)
            self._last_rx = time.monotonic()
            return modbus_rtu.decode_reply(req, self.slave, frame)
        except (DeviceTimeoutError, FrameError, ModbusExceptionError) as exc:
            self._last_rx = time.monotonic()
            self._account(exc)
            raise

    def _drop_stale(self, req: modbus_pdu.Request, head: bytes, deadline: float) -> bytes:
        """``head`` starts a reply to another function: read that frame whole; if it is a
        sound frame from our slave (a late reply), drop it and return the next reply's head."""
        head += self.link.read_exact(1, deadline)
        total = modbus_rtu.other_reply_length(head)
        if total is None:
            raise FrameError(
                f"RTU reply starts with function 0x{head[1]:02X}, expected "
                f"0x{req.function:02X} or exception 0x{req.function | 0x80:02X}",
                frame=bytes(head),
            )
        frame = head + self.link.read_exact(total - len(head), deadline)
        modbus_rtu.decode_adu(self.slave, frame)  # a corrupt frame raises here
        self.stats.stale_replies += 1
        self.stats.bytes_dropped += len(frame)
        return self.link.read_exact(modbus_rtu.HEAD_LENGTH, deadline)


class ModbusTcpTransport(_ModbusTransport):
    """Modbus TCP (MBAP framing) to unit ``unit``; stale replies of earlier transactions that
    arrive late are recognised by their transaction id and skipped."""

    def __init__(self, link: ByteLink, unit: int = 1, timeout: float = 0.1) -> None:
        super().__init__(link, timeout, quiet=0.0)
        if not 0 <= unit <= 255:
            raise ConfigError(f"Modbus TCP unit id must be in 0..255, got {unit}")
        self.unit = unit
        self._tid = 0

    def _transact(self, req: modbus_pdu.Request) -> tuple[int, ...]:
        deadline = self._begin()
        self._tid = (self._tid + 1) & 0xFFFF
        try:
            self.link.write(modbus_tcp.encode_request(self._tid, self.unit, req))
            while True:
                header = self.link.read_exact(modbus_tcp.HEADER_LENGTH, deadline)
                tid, _, length = modbus_tcp.decode_header(header)
                pdu = self.link.read_exact(length, deadline)
                if tid != self._tid:
                    self.stats.bytes_dropped += len(header) + len(pdu)
                    continue  # a late reply to an earlier, timed-out transaction
                return modbus_tcp.decode_reply(req, self._tid, self.unit, header, pdu)
        except (DeviceTimeoutError, FrameError, ModbusExceptionError) as exc:
            self._account(exc)
            raise


class NativeSerialTransport(_FramedTransport):
    """The Inspire native protocol (0xEB 0x90 frames) over a serial link to hand ``hand_id``."""

    def __init__(self, link: ByteLink, hand_id: int = 1, timeout: float = 0.05) -> None:
        super().__init__(link, timeout, quiet=max(timeout, 0.005))
        if not 1 <= hand_id <= 254:
            raise ConfigError(f"Inspire hand id must be in 1..254, got {hand_id}")
        self.hand_id = hand_id

    def _reply(self, request: bytes, deadline: float) -> bytes:
        self.link.write(request)
        head = self.link.read_exact(inspire_native.HEAD_LENGTH, deadline)
        total = inspire_native.reply_length(head)
        return head + self.link.read_exact(total - len(head), deadline)

    def read_array(self, array: regs.RegisterArray) -> tuple[int, ...]:
        deadline = self._begin()
        try:
            request = inspire_native.encode_read(self.hand_id, array.address, array.n_bytes)
            frame = self._reply(request, deadline)
            data = inspire_native.decode_read_reply(
                frame, self.hand_id, array.address, array.n_bytes
            )
        except (DeviceTimeoutError, FrameError) as exc:
            self._account(exc)
            raise
        return regs.from_bytes(array, data)

    def _write(self, address: int, data: bytes) -> None:
        deadline = self._begin()
        try:
            frame = self._reply(inspire_native.encode_write(self.hand_id, address, data), deadline)
            inspire_native.decode_write_reply(frame, self.hand_id, address)
        except (DeviceTimeoutError, FrameError) as exc:
            self._account(exc)
            raise

    def write_array(self, array: regs.RegisterArray, values: Sequence[int]) -> None:
        self._write(array.address, regs.to_bytes(array, regs.check_values(array, values)))

    def write_single(self, address: int, value: int) -> None:
        if not 0 <= value <= 0xFF:
            raise ConfigError(f"native single-register writes take one byte, got {value}")
        self._write(address, bytes([value]))


@dataclass(frozen=True)
class HandLinkConfig:
    """Where and how to reach one hand.

    Attributes:
        protocol: ``modbus_rtu`` | ``modbus_tcp`` | ``inspire_serial`` (alias ``native``).
        port: serial device for the serial protocols, e.g. ``/dev/ttyUSB0``.
        baudrate: serial line rate [bit/s].
        slave_id: Modbus slave / unit id, or the native protocol's hand id.
        host: IP address for Modbus TCP.
        tcp_port: TCP port for Modbus TCP (the hand listens on 6000).
        timeout: per-transaction deadline [s].
    """

    protocol: str = "modbus_rtu"
    port: str = "/dev/ttyUSB0"
    baudrate: int = 115200
    slave_id: int = 1
    host: str = "192.168.11.210"
    tcp_port: int = 6000
    timeout: float = 0.05

    def __post_init__(self) -> None:
        if self.protocol in PROTOCOL_ALIASES:
            object.__setattr__(self, "protocol", PROTOCOL_ALIASES[self.protocol])
        if self.protocol not in PROTOCOLS:
            raise ConfigError(
                f"protocol must be one of {PROTOCOLS} (or an alias in {sorted(PROTOCOL_ALIASES)}),"
                f" got {self.protocol!r}"
            )
        if self.baudrate <= 0:
            raise ConfigError(f"baudrate must be > 0, got {self.baudrate}")
        if not 1 <= self.slave_id <= 247:
            raise ConfigError(f"slave_id must be in 1..247, got {self.slave_id}")
        if self.timeout <= 0:
            raise ConfigError(f"timeout must be > 0 s, got {self.timeout}")


def open_transport(cfg: HandLinkConfig) -> HandTransport:
    """Open the link and wrap it in the transport ``cfg.protocol`` names."""
    if cfg.protocol == "modbus_tcp":
        return ModbusTcpTransport(TcpLink(cfg.host, cfg.tcp_port), cfg.slave_id, cfg.timeout)
    link = SerialLink(cfg.port, cfg.baudrate)
    if cfg.protocol == "modbus_rtu":
        return ModbusRtuTransport(link, cfg.slave_id, cfg.timeout, link.byte_time)
    return NativeSerialTransport(link, cfg.slave_id, cfg.timeout)
