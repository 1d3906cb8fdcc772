"""Everything of the sim-mocked bridge assembled: model, runner, emulators, servers and faults.

`MockRig` owns one model (the MuJoCo twin, or the first-order model), the runner thread that steps
it, one asyncio thread for every protocol server, and per side a RealMan controller on TCP and an
Inspire hand on a pty (optionally also on Modbus TCP). `endpoints()` says where the drivers should
connect; `driver_parameters()` is the same as ``ros__parameters`` blocks per driver node;
`inject()` arms a fault (see `maniptrans_sim.mock.faults`) at start or at run time.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from maniptrans_sim.mock.aio import LoopThread
from maniptrans_sim.mock.errors import MockRigError
from maniptrans_sim.mock.faults import (
    HAND_ERROR_BITS,
    FaultLog,
    FaultSpec,
    LinkFaults,
    parse_fault,
)
from maniptrans_sim.mock.inspire.device import HandConfig, InspireHandDevice
from maniptrans_sim.mock.inspire.server import HandLinkConfig, HandServer
from maniptrans_sim.mock.realman.controller import ArmConfig, RealmanController
from maniptrans_sim.mock.realman.server import RealmanServer
from maniptrans_sim.mock.rig_model import FirstOrderRig, RigModel, RigState
from maniptrans_sim.mock.robot_tables import SIDES, Side, check_side
from maniptrans_sim.mock.runner import RunnerConfig, TwinRunner
from maniptrans_sim.mock.twin import MujocoTwin, ObjectSpec, TwinConfig

MODELS = ("twin", "first_order")
DEFAULT_ARM_PORTS = {"left": 8080, "right": 8081}


@dataclass(frozen=True)
class MockRigConfig:
    """Everything `MockRig` needs; defaults are what a user wants on a workstation.

    Tests pass ``arm_ports`` of 0 (any free port) and a temporary ``hand_dir`` so that parallel
    runs never collide.
    """

    sides: tuple[Side, ...] = SIDES
    model: str = "twin"  # "twin" (MuJoCo) or "first_order"
    model_path: str | None = None  # twin model file (None: the description's rig)
    speed: float = 1.0  # simulated seconds per wall second (0: as fast as possible)
    control_period: float = 0.004  # devices' control period [s]
    host: str = "127.0.0.1"  # address the arm controllers (and Modbus TCP) bind to
    arm_ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_ARM_PORTS))
    product_version: str = "RM75-B"
    hand_dir: str = "/tmp/maniptrans"  # the hands' ports appear as <hand_dir>/<side>_hand
    hand_protocol: str = "modbus_rtu"  # "modbus_rtu" | "native"
    hand_baudrate: int = 115200  # [bit/s]
    pace_bytes: bool = False  # serial bytes no faster than the baud rate
    hand_tcp: bool = False  # also serve Modbus TCP per hand
    hand_tcp_ports: dict[str, int] = field(default_factory=lambda: {"left": 0, "right": 0})
    initial_arm_q: dict[str, tuple[float, ...]] = field(default_factory=dict)  # side -> [rad]
    objects: tuple[ObjectSpec, ...] = ()
    faults: tuple[str, ...] = ()  # armed at start
    fault_log: str | None = None  # JSON-lines file of fault events (None: in memory only)
    seed: int = 0  # seed of the random link faults
    # Reply deadline [s] written into the drivers' endpoint parameters. The emulators answer from
    # Python threads that share the CPU with the twin (and, on a CI box, with everything else):
    # with the whole replay graph running on 2 cores a hand read took 1.6 ms median, 78 ms p99,
    # 219 ms at worst, against the hand driver's 50 ms. A silent device is still detected (the
    # hand driver: 5 failed periods of a read and its retry, ~3 s at this deadline). Hardware
    # configs keep their own deadlines.
    driver_timeout: float = 0.15

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise MockRigError(f"model must be one of {MODELS}, got {self.model!r}")
        for s in self.sides:
            check_side(s)
            if s not in self.arm_ports:
                raise MockRigError(f"arm_ports has no entry for side {s!r}: {self.arm_ports}")
        if self.speed < 0:
            raise MockRigError(f"speed must be >= 0, got {self.speed}")
        if not self.driver_timeout > 0:
            raise MockRigError(f"driver_timeout must be > 0 s, got {self.driver_timeout}")


@dataclass(frozen=True)
class Endpoints:
    """Where one side's devices can be reached."""

    side: str
    arm_host: str
    arm_port: int
    hand_port: str  # serial device path (the stable symlink)
    hand_protocol: str
    hand_baudrate: int
    hand_tcp_port: int | None  # Modbus TCP port, if served


class MockRig:
    """The assembled bridge (see the module docstring). ``start()`` then ``stop()``."""

    def __init__(self, config: MockRigConfig | None = None) -> None:
        self.config = cfg = config or MockRigConfig()
        self.model: RigModel = self._make_model()
        self.log = FaultLog(path=Path(cfg.fault_log) if cfg.fault_log else None)
        self.arms: dict[str, RealmanController] = {}
        self.hands: dict[str, InspireHandDevice] = {}
        for s in cfg.sides:
            arm_cfg = ArmConfig(s, product_version=cfg.product_version)
            if s in cfg.initial_arm_q:
                q0 = tuple(float(x) for x in cfg.initial_arm_q[s])
                arm_cfg = replace(arm_cfg, initial_q=q0)
                self.model.set_arm_state(s, np.asarray(q0))
            self.arms[s] = RealmanController(arm_cfg)
            self.hands[s] = InspireHandDevice(HandConfig(s))
        devices = [*self.arms.values(), *self.hands.values()]
        self.runner = TwinRunner(self.model, devices, RunnerConfig(cfg.speed, cfg.control_period))
        self.log.set_clock(lambda: self.runner.sim_time)
        self.link_faults = {
            f"{s}_{d}": LinkFaults(f"{s}_{d}", self.log, seed=cfg.seed + i)
            for i, (s, d) in enumerate((s, d) for s in cfg.sides for d in ("arm", "hand"))
        }
        self.arm_servers: dict[str, RealmanServer] = {}
        self.hand_servers: dict[str, HandServer] = {}
        self._io: LoopThread | None = None

    def _make_model(self) -> RigModel:
        cfg = self.config
        if cfg.model == "first_order":
            return FirstOrderRig(sides=cfg.sides)
        return MujocoTwin(TwinConfig(model_path=cfg.model_path, objects=cfg.objects), cfg.sides)

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        """Bind every endpoint, arm the configured faults and start stepping."""
        cfg = self.config
        self._io = LoopThread()
        try:
            for s in cfg.sides:
                arm = RealmanServer(
                    self.arms[s],
                    self.link_faults[f"{s}_arm"],
                    cfg.host,
                    cfg.arm_ports[s],
                    speed=cfg.speed,
                )
                self._io.run(arm.start())
                self.arm_servers[s] = arm
                link = HandLinkConfig(
                    protocol=cfg.hand_protocol,
                    symlink=str(Path(cfg.hand_dir) / f"{s}_hand"),
                    baudrate=cfg.hand_baudrate,
                    pace_bytes=cfg.pace_bytes,
                    tcp=cfg.hand_tcp,
                    tcp_host=cfg.host,
                    tcp_port=cfg.hand_tcp_ports.get(s, 0),
                )
                hand = HandServer(self.hands[s], self.link_faults[f"{s}_hand"], link)
                self._io.run(hand.start())
                self.hand_servers[s] = hand
        except OSError as exc:
            self.stop()
            raise MockRigError(f"mock rig could not bind its endpoints: {exc}") from exc
        for text in cfg.faults:
            self.inject(text)
        self.runner.start()

    def stop(self) -> None:
        """Stop stepping, close every endpoint (removing the pty symlinks)."""
        self.runner.stop()
        if self._io is not None:
            for srv in [*self.arm_servers.values(), *self.hand_servers.values()]:
                try:
                    self._io.run(srv.close())
                except Exception:  # keep closing the others
                    pass
            self._io.stop()
            self._io = None
        self.log.close()

    def __enter__(self) -> MockRig:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ endpoints
    def endpoints(self) -> dict[str, Endpoints]:
        """Per side, where the drivers connect (valid after `start`)."""
        cfg = self.config
        return {
            s: Endpoints(
                s,
                cfg.host,
                self.arm_servers[s].port,
                self.hand_servers[s].path,
                cfg.hand_protocol,
                cfg.hand_baudrate,
                self.hand_servers[s].tcp_port,
            )
            for s in cfg.sides
        }

    def driver_parameters(self) -> dict[str, Any]:
        """``{<side>_realman_driver: {ros__parameters: ...}, <side>_inspire_driver: ...}``:
        endpoints and the reply deadline ``driver_timeout`` [s]. The arm drivers read their
        state from the UDP push, which the emulated (gen-3) controllers send."""
        out: dict[str, Any] = {}
        for s, e in self.endpoints().items():
            timeout = self.config.driver_timeout
            arm = {"host": e.arm_host, "port": e.arm_port, "timeout": timeout, "state_push": True}
            out[f"{s}_realman_driver"] = {"ros__parameters": arm}
            hand: dict[str, Any] = {
                "port": e.hand_port,
                "protocol": e.hand_protocol,
                "baudrate": e.hand_baudrate,
                "timeout": timeout,
            }
            if e.hand_tcp_port is not None:
                hand.update(tcp_host=e.arm_host, tcp_port=e.hand_tcp_port)
            out[f"{s}_inspire_driver"] = {"ros__parameters": hand}
        return out

    def write_parameters(self, path: str | Path) -> Path:
        """Write `driver_parameters()` as a ROS 2 parameter YAML; returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "# Written by mock_rig: endpoints of the sim-mocked bridge for the drivers.\n"
        text += yaml.safe_dump(self.driver_parameters(), sort_keys=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        os.close(fd)
        tmp = Path(name)
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o644)
        tmp.replace(path)
        return path

    def describe(self) -> str:
        """A human-readable list of the endpoints."""
        lines = []
        for s, e in self.endpoints().items():
            lines.append(f"{s} arm   RealMan JSON/TCP  {e.arm_host}:{e.arm_port}")
            lines.append(
                f"{s} hand  Inspire {e.hand_protocol} on {e.hand_port} @ {e.hand_baudrate} baud"
            )
            if e.hand_tcp_port is not None:
                lines.append(f"{s} hand  Inspire Modbus TCP  {e.arm_host}:{e.hand_tcp_port}")
        return "\n".join(lines)

    def snapshot(self) -> RigState:
        """The model's latest state (ground truth)."""
        return self.runner.snapshot()

    # ------------------------------------------------------------------ faults
    def inject(self, text: str | FaultSpec) -> FaultSpec:
        """Arm one fault now (text form of `maniptrans_sim.mock.faults`); returns it parsed."""
        spec = parse_fault(text) if isinstance(text, str) else text
        if spec.side not in self.config.sides:
            raise MockRigError(f"fault '{spec}': side {spec.side!r} is not in this rig")
        target = spec.target
        if spec.kind in ("drop", "corrupt", "latency", "disconnect_after"):
            self.link_faults[target].apply(spec)
        elif spec.kind == "clear":
            self.link_faults[target].apply(spec)
            if spec.device == "hand":
                self.hand_servers[spec.side].clear_disconnect()
            n = 7 if spec.device == "arm" else 6
            self.runner.call_soon(lambda m: _release_all(m, spec, n))
        elif spec.kind == "freeze":
            joint = spec.index if spec.index is not None else int(spec.number())
            self.runner.call_soon(
                lambda m: m.set_frozen(spec.side, spec.device, joint, True)  # type: ignore[arg-type]
            )
            self.log.record(target, "freeze:armed", joint=joint)
        elif spec.kind == "error" and spec.device == "arm":
            code = int(spec.number())
            if spec.index is not None:
                self.arms[spec.side].raise_joint_error(spec.index, code)
            else:
                self.arms[spec.side].raise_error(code)
            self.log.record(target, "error:armed", code=code, joint=spec.index)
        elif spec.kind == "error":
            self.hands[spec.side].raise_error(HAND_ERROR_BITS[spec.value], spec.index)
            self.log.record(target, "error:armed", bit=spec.value, actuator=spec.index)
        return spec


def _release_all(model: RigModel, spec: FaultSpec, n: int) -> None:
    for j in range(n):
        model.set_frozen(spec.side, spec.device, j, False)  # type: ignore[arg-type]
