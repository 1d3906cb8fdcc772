"""The Inspire hand on its wires: Modbus RTU or the native protocol on a pty, Modbus TCP.

Modbus is served by pymodbus's own server (an implementation independent of our drivers' codecs):
its datastore is bound to the hand's registers through a pymodbus ``SimDevice`` action, so every
read sees the twin's latest state and every write reaches the firmware model.

Serial path: the driver's port (`PtyLink`) is relayed by this module to a second pty on which
pymodbus's RTU server listens. The relay is where the line is modelled: byte pacing at the
configured baud rate (10 bits per byte), requests for another slave id left unanswered, and the
link faults (drop, corrupt, latency, disconnect). With ``protocol="native"`` the relay answers the
native frames itself. TCP path: clients connect to a relay port that forwards to pymodbus's TCP
server on an internal loopback port, with the same faults; a ``disconnect`` closes the client's
connection.

A serial ``disconnect`` leaves the line silent (unplugged) until the fault is cleared; framing on
the serial path assumes one frame per write, as every Modbus master does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from pymodbus.constants import ExcCodes
from pymodbus.framer import FramerType
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from maniptrans_sim.mock.errors import MockRigError
from maniptrans_sim.mock.faults import LinkFaults
from maniptrans_sim.mock.inspire import native
from maniptrans_sim.mock.inspire.device import InspireHandDevice, RegisterError
from maniptrans_sim.mock.inspire.pty_link import PtyLink
from maniptrans_sim.mock.inspire.registers import ADDRESS_MAX, ADDRESS_MIN

_LOG = logging.getLogger(__name__)
logging.getLogger("pymodbus").setLevel(logging.ERROR)
PROTOCOLS = ("modbus_rtu", "native")


@dataclass(frozen=True)
class HandLinkConfig:
    """How one hand is reachable."""

    protocol: str = "modbus_rtu"  # serial protocol: "modbus_rtu" | "native"
    symlink: str | None = None  # stable path of the serial port (None: the /dev/pts name only)
    baudrate: int = 115200  # [bit/s], used for byte pacing
    pace_bytes: bool = False  # deliver bytes no faster than the baud rate allows
    tcp: bool = False  # also serve Modbus TCP (the Ethernet variant)
    tcp_host: str = "127.0.0.1"
    tcp_port: int = 0  # 0: any free port


def _sim_device(device: InspireHandDevice) -> SimDevice:
    async def action(
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        try:
            if set_values is None:
                off = address - start_address
                registers[off : off + count] = device.read_registers(address, count)
            else:
                device.write_registers(address, [int(v) for v in set_values])
        except RegisterError:
            return ExcCodes.ILLEGAL_ADDRESS
        return None

    span = ADDRESS_MAX - ADDRESS_MIN + 1
    data = SimData(ADDRESS_MIN, count=span, values=0, datatype=DataType.REGISTERS)
    return SimDevice(id=device.config.hand_id, simdata=[data], action=action)


def rtu_frame_length(frame: bytes) -> int | None:
    """Length of the Modbus RTU request at the front of ``frame`` (None: not enough bytes)."""
    if len(frame) < 2:
        return None
    fc = frame[1]
    if fc in (3, 4, 6, 5, 1, 2):
        return 8
    if fc in (15, 16):
        return 9 + frame[6] if len(frame) >= 7 else None
    return len(frame)


class _Line:
    """One direction of the serial line: optional pacing at the baud rate."""

    def __init__(self, loop: asyncio.AbstractEventLoop, baudrate: int, pace: bool) -> None:
        self._loop = loop
        self._byte_time = 10.0 / baudrate
        self._pace = pace
        self._free_at = 0.0

    def delay(self, n: int, extra: float = 0.0) -> float:
        """Seconds from now until ``n`` bytes sent now (after ``extra``) have fully arrived."""
        if not self._pace:
            return extra
        now = self._loop.time()
        start = max(now + extra, self._free_at)
        self._free_at = start + n * self._byte_time
        return self._free_at - now


class HandServer:
    """Serves one `InspireHandDevice` (see the module docstring). Start/close on the io loop."""

    def __init__(
        self, device: InspireHandDevice, faults: LinkFaults, config: HandLinkConfig
    ) -> None:
        if config.protocol not in PROTOCOLS:
            raise MockRigError(
                f"hand protocol must be one of {PROTOCOLS}, got {config.protocol!r}"
            )
        if config.baudrate <= 0:
            raise MockRigError(f"baudrate must be > 0, got {config.baudrate}")
        self.device = device
        self.faults = faults
        self.config = config
        self.port: PtyLink | None = None
        self.tcp_port: int | None = None
        self._inner: PtyLink | None = None
        self._servers: list[ModbusSerialServer | ModbusTcpServer] = []
        self._tcp_relay: asyncio.AbstractServer | None = None
        self._tcp_writers: set[asyncio.StreamWriter] = set()
        self._native_buf = bytearray()
        self._dead = False  # serial line unplugged by a disconnect fault

    @property
    def path(self) -> str:
        """The serial port path the driver opens."""
        if self.port is None:
            raise MockRigError("hand server not started")
        return self.port.path

    async def start(self) -> None:
        """Create the pty (and symlink), start pymodbus's servers and the relays."""
        loop = asyncio.get_running_loop()
        cfg = self.config
        self._up = _Line(loop, cfg.baudrate, cfg.pace_bytes)  # driver -> hand
        self._down = _Line(loop, cfg.baudrate, cfg.pace_bytes)  # hand -> driver
        self.port = PtyLink(Path(cfg.symlink) if cfg.symlink else None)
        loop.add_reader(self.port.master, self._on_driver_bytes)
        sim = _sim_device(self.device)
        if cfg.protocol == "modbus_rtu":
            self._inner = PtyLink(None)
            server = ModbusSerialServer(
                sim, framer=FramerType.RTU, port=self._inner.device, baudrate=cfg.baudrate
            )
            await server.serve_forever(background=True)
            self._servers.append(server)
            loop.add_reader(self._inner.master, self._on_pymodbus_bytes)
        if cfg.tcp:
            tcp = ModbusTcpServer(_sim_device(self.device), address=("127.0.0.1", 0))
            await tcp.serve_forever(background=True)
            self._servers.append(tcp)
            inner_port = tcp.transport.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self._tcp_relay = await asyncio.start_server(
                lambda r, w: self._serve_tcp(r, w, inner_port), cfg.tcp_host, cfg.tcp_port
            )
            self.tcp_port = self._tcp_relay.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop everything and remove the symlink."""
        loop = asyncio.get_running_loop()
        for link in (self.port, self._inner):
            if link is not None:
                loop.remove_reader(link.master)
        for w in list(self._tcp_writers):
            w.close()
        if self._tcp_relay is not None:
            self._tcp_relay.close()
        for s in self._servers:
            with contextlib.suppress(Exception):
                await s.shutdown()
        for link in (self.port, self._inner):
            if link is not None:
                link.close()

    # ------------------------------------------------------------------ serial relay
    def _on_driver_bytes(self) -> None:
        assert self.port is not None
        try:
            data = os.read(self.port.master, 4096)
        except (BlockingIOError, OSError):
            return
        if not data:
            return
        if self._dead:
            return
        if self.faults.on_request():
            self._dead = True
            return
        loop = asyncio.get_running_loop()
        loop.call_later(self._up.delay(len(data)), self._deliver_request, data)

    def _deliver_request(self, data: bytes) -> None:
        if self.config.protocol == "native":
            self._native_buf += data
            for req in native.split_frames(self._native_buf):
                reply = self._native_reply(req)
                if reply is not None:
                    self._send_to_driver(reply, f"native 0x{req.cmd:02x}")  # type: ignore[union-attr]
            return
        if data[0] not in (self.device.config.hand_id, 0):  # another slave's request: silence
            return
        assert self._inner is not None
        with contextlib.suppress(OSError):
            os.write(self._inner.master, data)

    def _on_pymodbus_bytes(self) -> None:
        assert self._inner is not None
        try:
            data = os.read(self._inner.master, 4096)
        except (BlockingIOError, OSError):
            return
        if data:
            self._send_to_driver(data, f"rtu fc{data[1] if len(data) > 1 else -1}")

    def _send_to_driver(self, data: bytes, what: str) -> None:
        out = self.faults.on_reply(data, what)
        if out is None or self._dead or self.port is None:
            return
        loop = asyncio.get_running_loop()
        delay = self._down.delay(len(out), self.faults.latency)
        loop.call_later(delay, self._write_driver, out)

    def _write_driver(self, data: bytes) -> None:
        if self.port is not None:
            with contextlib.suppress(OSError):
                os.write(self.port.master, data)

    def _native_reply(self, req: native.NativeRequest | None) -> bytes | None:
        if req is None or req.hand_id != self.device.config.hand_id:
            return None
        try:
            if req.cmd == native.CMD_READ and len(req.data) == 1:
                data = self.device.read_bytes(req.address, req.data[0])
                return native.build_reply(req.hand_id, req.cmd, req.address, data)
            if req.cmd == native.CMD_WRITE and req.data:
                self.device.write_bytes(req.address, req.data)
                return native.build_reply(req.hand_id, req.cmd, req.address, b"\x01")
        except RegisterError as exc:
            _LOG.info("%s: native request refused: %s", self.faults.target, exc)
        return None

    def clear_disconnect(self) -> None:
        """Plug the serial line back in after a disconnect fault."""
        self._dead = False

    # ------------------------------------------------------------------ TCP relay
    async def _serve_tcp(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, inner_port: int
    ) -> None:
        self._tcp_writers.add(writer)
        try:
            ir, iw = await asyncio.open_connection("127.0.0.1", inner_port)
        except OSError:
            writer.close()
            return
        loop = asyncio.get_running_loop()

        async def downstream() -> None:
            buf = b""
            while True:
                data = await ir.read(4096)
                if not data:
                    break
                buf += data
                while len(buf) >= 6 and len(buf) >= 6 + int.from_bytes(buf[4:6], "big"):
                    n = 6 + int.from_bytes(buf[4:6], "big")
                    frame, buf = buf[:n], buf[n:]
                    out = self.faults.on_reply(frame, f"tcp fc{frame[7] if n > 7 else -1}")
                    if out is not None:
                        loop.call_later(self.faults.latency, _write, writer, out)

        down = asyncio.create_task(downstream())
        try:
            buf = b""
            while True:
                data = await reader.read(4096)
                if not data:
                    break
                buf += data
                while len(buf) >= 6 and len(buf) >= 6 + int.from_bytes(buf[4:6], "big"):
                    n = 6 + int.from_bytes(buf[4:6], "big")
                    frame, buf = buf[:n], buf[n:]
                    if self.faults.on_request():
                        return
                    iw.write(frame)
        except ConnectionError:
            pass
        finally:
            down.cancel()
            iw.close()
            writer.close()
            self._tcp_writers.discard(writer)


def _write(writer: asyncio.StreamWriter, data: bytes) -> None:
    if not writer.is_closing():
        writer.write(data)
