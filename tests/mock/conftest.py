"""Fixtures of the mock-rig tests: emulators on free ports, run in this process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mockrig_helpers import ArmBench, HandBench, JsonLineClient

from maniptrans_sim.mock.aio import LoopThread
from maniptrans_sim.mock.faults import FaultLog, LinkFaults
from maniptrans_sim.mock.realman.controller import ArmConfig, RealmanController
from maniptrans_sim.mock.realman.server import RealmanServer
from maniptrans_sim.mock.rig_model import FirstOrderRig
from maniptrans_sim.mock.runner import RunnerConfig, TwinRunner


@pytest.fixture
def io_loop() -> Iterator[LoopThread]:
    loop = LoopThread()
    yield loop
    loop.stop()


@pytest.fixture
def arm_bench(io_loop: LoopThread) -> Iterator[ArmBench]:
    model = FirstOrderRig()
    controller = RealmanController(ArmConfig("left"))
    runner = TwinRunner(model, [controller], RunnerConfig(speed=1.0))
    log = FaultLog(lambda: runner.sim_time)
    faults = LinkFaults("left_arm", log)
    server = RealmanServer(controller, faults, "127.0.0.1", 0, speed=1.0)
    io_loop.run(server.start())
    runner.start()
    yield ArmBench(model, controller, runner, server, log, faults)
    io_loop.run(server.close())
    runner.stop()


@pytest.fixture
def json_client(arm_bench: ArmBench) -> Iterator[JsonLineClient]:
    client = JsonLineClient(arm_bench.port)
    yield client
    client.close()


def make_hand_bench(io_loop: LoopThread, tmp_path, **link) -> HandBench:
    from maniptrans_sim.mock.inspire.device import HandConfig, InspireHandDevice
    from maniptrans_sim.mock.inspire.server import HandLinkConfig, HandServer

    model = FirstOrderRig()
    device = InspireHandDevice(HandConfig("right"))
    runner = TwinRunner(model, [device], RunnerConfig(speed=1.0))
    log = FaultLog(lambda: runner.sim_time)
    faults = LinkFaults("right_hand", log)
    link.setdefault("symlink", str(tmp_path / "right_hand"))
    server = HandServer(device, faults, HandLinkConfig(**link))
    io_loop.run(server.start())
    runner.start()
    return HandBench(model, device, runner, server, log, faults)


@pytest.fixture
def hand_factory(io_loop: LoopThread, tmp_path) -> Iterator:
    benches: list[HandBench] = []

    def make(**link) -> HandBench:
        bench = make_hand_bench(io_loop, tmp_path, **link)
        benches.append(bench)
        return bench

    yield make
    for b in benches:
        io_loop.run(b.server.close())
        b.runner.stop()
