"""Simple device-side counterparts the driver tests talk to over real transports.

They share no code with the drivers' codecs (the architecture's wall): the Modbus hand is
pymodbus's own server with the Inspire register map, the native hand and the RealMan controller
parse and build their frames here, independently.

- ``PtyBridge``: two pseudo-terminals joined by a thread, optionally pacing bytes at a baud rate
  and injecting faults into the device → client direction.
- ``ModbusHand``: pymodbus RTU (on a pty) or TCP server with the register map of the facts sheet.
- ``NativeHand``: an 0xEB 0x90 speaking hand on a pty.
- ``RealManStub``: a loopback TCP controller speaking the JSON protocol, with fault switches.
"""

from __future__ import annotations

import asyncio
import collections
import json
import math
import os
import select
import socket
import threading
import time
import tty
from collections.abc import Callable

import serial
from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

# Inspire map (facts/inspire_protocol.md): name -> (address, registers)
HAND_ARRAYS = {
    "POS_SET": (1474, 6),
    "ANGLE_SET": (1486, 6),
    "FORCE_SET": (1498, 6),
    "SPEED_SET": (1522, 6),
    "POS_ACT": (1534, 6),
    "ANGLE_ACT": (1546, 6),
    "FORCE_ACT": (1582, 6),
    "CURRENT": (1594, 6),
    "ERROR": (1606, 3),
    "STATUS": (1612, 3),
    "TEMP": (1618, 3),
}
SINGLE_REGISTERS = (1000, 1004, 1005, 1006, 1009)


# ---------------------------------------------------------------------------------------------
# pseudo-terminal pair with pacing and faults


class PtyBridge:
    """``client_path`` and ``device_path`` behave like the two ends of one serial cable.

    Args:
        baudrate: when set, bytes are delivered no faster than the line rate (10 bits/byte).
    """

    def __init__(self, baudrate: int | None = None) -> None:
        self._m_client, self._s_client = os.openpty()
        self._m_device, self._s_device = os.openpty()
        for fd in (self._s_client, self._s_device):
            tty.setraw(fd)
        self.client_path = os.ttyname(self._s_client)
        self.device_path = os.ttyname(self._s_device)
        self.byte_time = 10.0 / baudrate if baudrate else 0.0
        self._faults: collections.deque[str] = collections.deque()
        self._queues = {self._m_client: collections.deque(), self._m_device: collections.deque()}
        self._line_free = {self._m_client: 0.0, self._m_device: 0.0}
        self.bytes_to_device = 0
        self.bytes_to_client = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="pty-bridge")
        self._thread.start()

    def inject(self, fault: str) -> None:
        """One-shot fault on the next device → client chunk: ``corrupt`` flips the last byte,
        ``drop`` swallows the chunk, ``truncate`` keeps only its first half, ``delay:<s>``
        delivers it that many seconds late."""
        self._faults.append(fault)

    def _apply_fault(self, data: bytes) -> bytes:
        if not self._faults:
            return data
        fault = self._faults.popleft()
        if fault.startswith("delay:"):
            dst = self._m_client
            self._line_free[dst] = max(self._line_free[dst], time.monotonic() + float(fault[6:]))
            return data
        if fault == "corrupt":
            return data[:-1] + bytes([data[-1] ^ 0x5A])
        if fault == "drop":
            return b""
        if fault == "truncate":
            return data[: len(data) // 2]
        raise ValueError(fault)

    def _schedule(self, dst: int, data: bytes) -> None:
        now = time.monotonic()
        start = max(now, self._line_free[dst])
        for i, byte in enumerate(data):
            self._queues[dst].append((start + (i + 1) * self.byte_time, byte))
        self._line_free[dst] = start + len(data) * self.byte_time

    def _flush_due(self) -> float:
        now = time.monotonic()
        next_due = math.inf
        for dst, queue in self._queues.items():
            out = bytearray()
            while queue and queue[0][0] <= now:
                out.append(queue.popleft()[1])
            if out:
                os.write(dst, bytes(out))
            if queue:
                next_due = min(next_due, queue[0][0])
        return next_due

    def _run(self) -> None:
        masters = [self._m_client, self._m_device]
        while not self._stop.is_set():
            next_due = self._flush_due()
            timeout = 0.05 if math.isinf(next_due) else max(0.0, next_due - time.monotonic())
            try:
                ready, _, _ = select.select(masters, [], [], timeout)
            except (OSError, ValueError):
                return
            for src in ready:
                try:
                    data = os.read(src, 4096)
                except OSError:
                    continue
                if src == self._m_client:
                    self.bytes_to_device += len(data)
                    self._schedule(self._m_device, data)
                else:
                    data = self._apply_fault(data)
                    self.bytes_to_client += len(data)
                    self._schedule(self._m_client, data)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for fd in (self._m_client, self._s_client, self._m_device, self._s_device):
            try:
                os.close(fd)
            except OSError:
                pass


# ---------------------------------------------------------------------------------------------
# pymodbus hand


class ModbusHand:
    """pymodbus server holding the Inspire registers; ANGLE_ACT follows ANGLE_SET at once.

    Args:
        serial_port: pty path for an RTU server, or None for a TCP server on ``127.0.0.1``.
        slave: device id served.
    """

    def __init__(self, serial_port: str | None = None, slave: int = 1) -> None:
        self.slave = slave
        self._pending: dict[int, int] = {}
        self.fail_next: ExcCodes | None = None
        self.writes: list[tuple[int, list[int]]] = []
        self._registers: list[int] | None = None
        self._start = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server = None
        self.tcp_port = 0
        self._serial_port = serial_port
        self._thread = threading.Thread(target=self._run, daemon=True, name="modbus-hand")
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("pymodbus hand server did not start")
        self.set_array("ANGLE_ACT", [1000] * 6)
        self.set_array("TEMP", [0x1E1E] * 3)

    def set_array(self, name: str, words: list[int]) -> None:
        """Set registers (raw 16-bit words) of ``name``; applied before the next request."""
        address, count = HAND_ARRAYS[name]
        assert len(words) == count
        for i, w in enumerate(words):
            self._pending[address + i] = w & 0xFFFF

    def get_array(self, name: str) -> list[int]:
        address, count = HAND_ARRAYS[name]
        assert self._registers is not None, "no request served yet"
        return [self._registers[address - self._start + i] for i in range(count)]

    async def _action(self, fc, start, address, count, registers, values):
        self._registers, self._start = registers, start
        for addr, word in list(self._pending.items()):
            registers[addr - start] = word
            del self._pending[addr]
        if self.fail_next is not None:
            code, self.fail_next = self.fail_next, None
            return code
        if values:
            values = [int(v) for v in values]
            self.writes.append((address, values))
            angle_set, _ = HAND_ARRAYS["ANGLE_SET"]
            if address == angle_set:
                act, _ = HAND_ARRAYS["ANGLE_ACT"]
                for i, v in enumerate(values):
                    if v != 0xFFFF:
                        registers[act - start + i] = v
            if address == 1004 and values[0] == 1:
                err, n = HAND_ARRAYS["ERROR"]
                for i in range(n):
                    registers[err - start + i] = 0
        return None

    def _device(self) -> SimDevice:
        blocks = [
            SimData(address, count=count, values=0, datatype=DataType.REGISTERS)
            for address, count in HAND_ARRAYS.values()
        ]
        blocks += [
            SimData(a, count=1, values=0, datatype=DataType.REGISTERS) for a in SINGLE_REGISTERS
        ]
        blocks.sort(key=lambda b: b.address)
        return SimDevice(self.slave, simdata=blocks, action=self._action)

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            if self._serial_port is not None:
                self._server = ModbusSerialServer(
                    self._device(), port=self._serial_port, baudrate=115200
                )
            else:
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", 0))
                    self.tcp_port = probe.getsockname()[1]
                self._server = ModbusTcpServer(
                    self._device(), address=("127.0.0.1", self.tcp_port)
                )
            task = asyncio.create_task(self._server.serve_forever())
            await asyncio.sleep(0.3)
            self._ready.set()
            await task

        try:
            asyncio.run(main())
        except Exception:  # the server's loop ends when it is shut down
            pass

    def close(self) -> None:
        if self._loop is not None and self._server is not None:
            fut = asyncio.run_coroutine_threadsafe(self._server.shutdown(), self._loop)
            try:
                fut.result(timeout=5)
            except Exception:
                pass
        self._thread.join(timeout=5)


# ---------------------------------------------------------------------------------------------
# native-protocol hand


class NativeHand:
    """A hand speaking the native 0xEB 0x90 protocol on ``device_path``; ANGLE_ACT follows
    ANGLE_SET. Memory is byte-addressed; int16 values little-endian."""

    def __init__(self, device_path: str, hand_id: int = 1) -> None:
        self.hand_id = hand_id
        self.memory = bytearray(2048)
        for i in range(6):
            self.memory[1546 + 2 * i : 1548 + 2 * i] = (1000).to_bytes(2, "little")
        self.requests = 0
        self.silent_next = 0
        self._port = serial.Serial(device_path, 115200, timeout=0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="native-hand")
        self._thread.start()

    def _reply(self, cmd: int, address: int, data: bytes) -> bytes:
        body = bytes([self.hand_id, len(data) + 3, cmd, address & 0xFF, address >> 8]) + data
        return b"\x90\xeb" + body + bytes([sum(body) & 0xFF])

    def _run(self) -> None:
        buf = bytearray()
        while not self._stop.is_set():
            try:
                buf += self._port.read(64)
            except (serial.SerialException, OSError, TypeError):
                return
            while True:
                start = buf.find(b"\xeb\x90")
                if start < 0 or len(buf) < start + 4:
                    break
                total = buf[start + 3] + 5
                if len(buf) < start + total:
                    break
                frame = bytes(buf[start : start + total])
                del buf[: start + total]
                self._handle(frame)

    def _handle(self, frame: bytes) -> None:
        body = frame[2:-1]
        if sum(body) & 0xFF != frame[-1] or body[0] != self.hand_id:
            return
        self.requests += 1
        if self.silent_next:
            self.silent_next -= 1
            return
        cmd, address, data = body[2], body[3] | body[4] << 8, body[5:]
        if cmd == 0x11:
            n = data[0]
            reply = self._reply(cmd, address, bytes(self.memory[address : address + n]))
        else:
            self.memory[address : address + len(data)] = data
            if address == 1486:
                for i in range(6):
                    word = data[2 * i : 2 * i + 2]
                    if word != b"\xff\xff":
                        self.memory[1546 + 2 * i : 1548 + 2 * i] = word
            reply = self._reply(cmd, address, b"\x01")
        self._port.write(reply)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._port.close()


# ---------------------------------------------------------------------------------------------
# RealMan controller stub


class RealManStub:
    """Loopback TCP controller for a 7-DOF RM75-B speaking the JSON protocol.

    Joint angles are held in 0.001°. ``movej`` answers ``receive_state`` and, ``move_time`` later,
    arrives at the target and sends ``current_trajectory_state``; ``movej_canfd`` sets the joints
    at once and sends nothing. Fault switches (set from the test thread):

    - ``split_replies``: every reply goes out in 1-3 byte segments.
    - ``merge_replies``: every reply shares its TCP segment with an unsolicited arrival message
      before it and a gen-2 style ``joint_state`` echo after it.
    - ``silent``: set of command names that get no reply (a timeout).
    - ``late_next`` / ``late_by``: the next this many state replies come ``late_by`` s late
      (the controller stalls; later requests wait behind them, answered in order).
    - ``drop_after``: close the connection after this many more received messages.
    - ``errors``: the controller's active error codes (reported in ``err``).
    - ``garbage_next``: the next reply is preceded by a malformed line.
    - ``refuse_movej``: this many ``movej`` requests are answered ``receive_state:false``.
    - ``arrive_short``: ``movej`` reports arrival but stops this far short [0.001°].
    """

    def __init__(self, dof: int = 7, move_time: float = 0.05) -> None:
        self.dof = dof
        self.move_time = move_time
        self.joint = [0] * dof
        self.errors: list[int] = []
        self.split_replies = False
        self.merge_replies = False
        self.silent: set[str] = set()
        self.late_next = 0
        self.late_by = 0.3
        self.drop_after: int | None = None
        self.garbage_next = False
        self.refuse_movej = 0
        self.arrive_short = 0  # [0.001°] movej stops this far before its target on every joint
        self.received: list[dict] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._conn: socket.socket | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True, name="realman-stub")
        self._thread.start()

    def canfd_count(self) -> int:
        return sum(1 for m in self.received if m.get("command") == "movej_canfd")

    def _send(self, conn: socket.socket, obj: dict) -> None:
        data = json.dumps(obj).encode() + b"\r\n"
        if self.garbage_next:
            self.garbage_next = False
            data = b'{"state": broken\r\n' + data
        if self.merge_replies:
            arrival = {
                "state": "current_trajectory_state",
                "trajectory_state": True,
                "device": 0,
                "trajectory_connect": 0,
            }
            echo = {"state": "joint_state", "joint": list(self.joint), "arm_err": 0}
            data = json.dumps(arrival).encode() + b"\r\n" + data + json.dumps(echo).encode()
            data += b"\r\n"
        if self.split_replies:
            i = 0
            while i < len(data):
                n = 1 + (i % 3)
                conn.sendall(data[i : i + n])
                time.sleep(0.0002)
                i += n
        else:
            conn.sendall(data)

    def _state(self) -> dict:
        return {
            "state": "current_arm_state",
            "arm_state": {
                "joint": list(self.joint),
                "pose": [0, 0, 850500, 0, 0, 0],
                "err": list(self.errors) or [0],
            },
            "arm_err": 0,
            "sys_err": 0,
        }

    def _handle(self, conn: socket.socket, msg: dict) -> None:
        cmd = msg.get("command")
        self.received.append(msg)
        if cmd in self.silent:
            return
        if cmd == "get_arm_software_info":
            self._send(conn, {"command": "arm_software_info", "Product_version": "RM75-B"})
        elif cmd == "get_current_arm_state":
            if self.late_next > 0:
                self.late_next -= 1
                time.sleep(self.late_by)
            self._send(conn, self._state())
        elif cmd == "get_arm_all_state":
            state = {
                "temperature": [35000] * self.dof,
                "current": [100000] * self.dof,
                "voltage": [48000] * self.dof,
                "err_flag": [0] * self.dof,
                "en_flag": [1] * self.dof,
                "err": list(self.errors) or [0],
            }
            self._send(conn, {"state": "arm_all_state", "all_state": state})
        elif cmd == "movej":
            target = list(msg["joint"])
            if self.refuse_movej > 0:
                self.refuse_movej -= 1
                self._send(conn, {"command": "movej", "receive_state": False})
                return
            self._send(conn, {"command": "movej", "receive_state": True})

            def arrive() -> None:
                time.sleep(self.move_time)
                with self._lock:
                    self.joint = [v - self.arrive_short for v in target]
                    done = {
                        "state": "current_trajectory_state",
                        "trajectory_state": True,
                        "device": 0,
                        "trajectory_connect": 0,
                    }
                    try:
                        self._send(conn, done)
                    except OSError:
                        pass

            threading.Thread(target=arrive, daemon=True).start()
        elif cmd == "movej_canfd":
            self.joint = list(msg["joint"])
        elif cmd == "set_arm_stop":
            self._send(conn, {"command": "set_arm_stop", "arm_stop": True})
        elif cmd == "clear_system_err":
            self.errors = []
            self._send(conn, {"command": "clear_system_err", "clear_state": True})

    def _serve(self) -> None:
        self._server.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            self._conn = conn
            conn.settimeout(0.1)
            buf = b""
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                buf += chunk
                while b"\r\n" in buf:
                    line, buf = buf.split(b"\r\n", 1)
                    with self._lock:
                        if self.drop_after is not None:
                            if self.drop_after <= 0:
                                self.drop_after = None
                                conn.close()
                                break
                            self.drop_after -= 1
                        self._handle(conn, json.loads(line))
                if conn.fileno() < 0:
                    break
            try:
                conn.close()
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._server.close()
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, step: float = 0.01) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` [s] passes; returns its last value."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
