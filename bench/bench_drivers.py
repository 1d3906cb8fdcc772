"""Driver benchmarks against the mock rig (maniptrans_sim.mock), over real ptys and sockets.

* ``drivers.hand.<protocol>.cycle_rate``: write-angles + read-angles cycles per second through
  ``InspireHand`` over a pty with the mock hand pacing bytes at 115200 baud, against the serial
  line-rate limit for the same bytes (10 bits per byte, no gaps, zero turnaround). The ratio is
  the fraction of the wire we achieve; Modbus RTU's mandatory 3.5-character silences and the
  hand's reply latency keep it below 1.
* ``drivers.arm.<rate>hz.jitter_{p50,p99,max}``: |period − nominal| of the arm driver's
  passthrough loop (state read + safety gate + ``movej_canfd`` every period) on ``RateLoop``'s
  absolute deadlines, against the same work in a ``time.sleep(period)`` loop.
"""

from __future__ import annotations

import math
import tempfile
import threading
import time

import numpy as np

from bench.common import BenchArgs, Record, record

BAUD = 115200


def _rig(tmp: str, protocol: str):
    from maniptrans_sim.mock.rig import MockRig, MockRigConfig

    return MockRig(
        MockRigConfig(
            sides=("left",),
            model="first_order",
            arm_ports={"left": 0},
            hand_dir=tmp,
            hand_protocol=protocol,
            hand_baudrate=BAUD,
            pace_bytes=True,
        )
    )


def _cycle_bytes(protocol: str) -> int:
    """Wire bytes of one write-ANGLE_SET + read-ANGLE_ACT cycle (requests and replies)."""
    from realman_inspire_driver.codecs import inspire_native, modbus_pdu, modbus_rtu
    from realman_inspire_driver.inspire import registers as regs

    if protocol == "modbus_rtu":
        words = regs.to_registers(regs.ANGLE_SET, [500] * 6)
        write = modbus_pdu.write_multiple_request(regs.ANGLE_SET.address, words)
        read = modbus_pdu.read_request(regs.ANGLE_ACT.address, regs.ANGLE_ACT.n_registers)
        head_w, head_r = bytes([1, write.function]), bytes([1, read.function])
        return (
            len(modbus_rtu.encode_request(1, write))
            + modbus_rtu.reply_length(write, head_w)
            + len(modbus_rtu.encode_request(1, read))
            + modbus_rtu.reply_length(read, head_r)
        )
    data = regs.to_bytes(regs.ANGLE_SET, [500] * 6)
    read_request = inspire_native.encode_read(1, regs.ANGLE_ACT.address, regs.ANGLE_ACT.n_bytes)
    read_reply = regs.ANGLE_ACT.n_bytes + 3 + inspire_native.OVERHEAD
    return (
        len(inspire_native.encode_write(1, regs.ANGLE_SET.address, data))
        + inspire_native.WRITE_ACK_LENGTH
        + len(read_request)
        + read_reply
    )


def _hand_rate(port: str, protocol: str, cycles: int) -> tuple[float, np.ndarray]:
    from realman_inspire_driver.inspire.client import InspireHand
    from realman_inspire_driver.inspire.transports import HandLinkConfig, open_transport

    name = "inspire_serial" if protocol == "native" else protocol
    hand = InspireHand(open_transport(HandLinkConfig(protocol=name, port=port, timeout=0.1)))
    try:
        for _ in range(5):  # warm up
            hand.set_angles([500] * 6)
            hand.read_angles()
        times = np.empty(cycles)
        t_start = time.perf_counter()
        for i in range(cycles):
            t0 = time.perf_counter()
            hand.set_angles([400 + (i % 200)] * 6)
            hand.read_angles()
            times[i] = time.perf_counter() - t0
        elapsed = time.perf_counter() - t_start
    finally:
        hand.close()
    return cycles / elapsed, times


def _arm_driver(host: str, port: int, rate: float):
    from realman_inspire_driver.realman.client import ArmLinkConfig
    from realman_inspire_driver.realman.driver import ArmDriver, ArmDriverConfig
    from realman_inspire_driver.safety.gate import SafetyConfig, SafetyGate
    from realman_inspire_driver.safety.limits import arm_limits

    gate = SafetyGate(arm_limits("left"), SafetyConfig(period=1.0 / rate))
    config = ArmDriverConfig(link=ArmLinkConfig(host=host, port=port, timeout=0.5))
    return ArmDriver(config, gate)


def _arm_jitter(host: str, port: int, rate: float, seconds: float) -> tuple[dict, dict]:
    """(ours, anchor) jitter summaries [s] of the streaming arm loop at ``rate`` Hz."""
    from realman_inspire_driver.loop import LoopStats, RateLoop

    driver = _arm_driver(host, port, rate)
    q0: list[np.ndarray] = []

    def tick(now: float) -> None:
        m = driver.measurement
        if m is not None and not q0:
            q0.append(m.position.copy())
        if q0:
            wobble = 0.05 * math.sin(2 * math.pi * 0.5 * now)
            driver.offer(now, q0[0] + wobble)
        driver.tick(now)

    stop = threading.Event()
    warmup = RateLoop(rate, tick)
    t_end = time.monotonic() + 10.0
    while not driver.gate.ready and time.monotonic() < t_end:
        warmup.run(stop, max_ticks=warmup.stats.ticks + 10)
    if not driver.gate.ready:
        raise RuntimeError(f"arm driver did not soft-start: {driver.status()}")
    loop = RateLoop(rate, tick)
    loop.run(stop, max_ticks=int(seconds * rate))
    ours = loop.stats.summary()

    naive = LoopStats(1.0 / rate)
    for _ in range(int(seconds * rate)):
        now = time.monotonic()
        naive.record(now)
        tick(now)
        time.sleep(1.0 / rate)
    anchor = naive.summary()
    status = driver.status()
    driver.disconnect(time.monotonic())
    if status["mode"] not in ("streaming", "hold"):
        raise RuntimeError(f"arm driver stopped streaming during the benchmark: {status}")
    return ours, anchor


def run(args: BenchArgs) -> list[Record]:
    cycles = 60 if args.quick else 600
    seconds = 1.0 if args.quick else 5.0
    records: list[Record] = []
    for protocol in ("modbus_rtu", "native"):
        with tempfile.TemporaryDirectory() as tmp, _rig(tmp, protocol) as rig:
            ep = rig.endpoints()["left"]
            rate, times = _hand_rate(ep.hand_port, protocol, cycles)
            if protocol == "modbus_rtu":
                arm = (ep.arm_host, ep.arm_port)
                for hz in (100.0, 200.0):
                    ours, anchor = _arm_jitter(*arm, hz, seconds)
                    for stat in ("p50", "p99", "max"):
                        records.append(
                            record(
                                f"drivers.arm.{hz:.0f}hz.jitter_{stat}",
                                "ms",
                                ours[f"jitter_{stat}"] * 1e3,
                                "time.sleep(period) loop, same work",
                                anchor[f"jitter_{stat}"] * 1e3,
                                lower_is_better=True,
                                period_mean_ms=ours["period_mean"] * 1e3,
                                anchor_period_mean_ms=anchor["period_mean"] * 1e3,
                                seconds=seconds,
                            )
                        )
        n_bytes = _cycle_bytes(protocol)
        line_rate = BAUD / 10 / n_bytes
        records.append(
            record(
                f"drivers.hand.{protocol}.cycle_rate",
                "cycles/s",
                rate,
                f"line-rate limit ({n_bytes} B/cycle at {BAUD} baud)",
                line_rate,
                lower_is_better=False,
                cycle_ms_p50=float(np.percentile(times, 50) * 1e3),
                cycle_ms_p99=float(np.percentile(times, 99) * 1e3),
                cycles=cycles,
            )
        )
    return records
