"""Helpers of the mock-rig tests (a unique module name: pytest imports test dirs by basename)."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass

from maniptrans_sim.mock.faults import FaultLog, LinkFaults
from maniptrans_sim.mock.realman.controller import RealmanController
from maniptrans_sim.mock.realman.server import RealmanServer
from maniptrans_sim.mock.rig_model import FirstOrderRig
from maniptrans_sim.mock.runner import TwinRunner


@dataclass
class ArmBench:
    """A RealMan emulator on a free loopback port, driven by a first-order model in real time."""

    model: FirstOrderRig
    controller: RealmanController
    runner: TwinRunner
    server: RealmanServer
    log: FaultLog
    faults: LinkFaults

    @property
    def port(self) -> int:
        return self.server.port


class JsonLineClient:
    """A raw-socket client of the JSON protocol (independent of every driver and of the SDK)."""

    def __init__(self, port: int, timeout: float = 2.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.file = self.sock.makefile("rb")

    def send(self, message: dict | bytes) -> None:
        data = message if isinstance(message, bytes) else json.dumps(message).encode() + b"\r\n"
        self.sock.sendall(data)

    def read_raw(self) -> bytes:
        return self.file.readline()

    def read(self) -> dict:
        line = self.read_raw()
        if not line:
            raise ConnectionError("connection closed by the emulator")
        assert line.endswith(b"\r\n"), f"reply not CRLF-terminated: {line!r}"
        return json.loads(line)

    def ask(self, message: dict) -> dict:
        self.send(message)
        return self.read()

    def close(self) -> None:
        self.file.close()
        self.sock.close()


@dataclass
class HandBench:
    """An Inspire emulator on a temp-dir pty symlink (and a free TCP port), first-order model."""

    model: FirstOrderRig
    device: object
    runner: TwinRunner
    server: object
    log: FaultLog
    faults: LinkFaults
