"""Bringup benchmarks: bag recording throughput and transferred-task export speed.

* ``bringup.bag_sink.write_rate``: serialized JointStates through :class:`BagSink` (queue +
  writer thread, what bag_recorder's callbacks use) vs rosbags' ``Writer.write`` called
  directly in a loop, same messages, same storage (mcap). Ratio ~1 means the thread hand-off
  costs nothing; the recorder's callbacks only pay the queue append.
* ``bringup.bag_sink.put_us``: time a subscription callback spends per message (queue append)
  vs the direct writer call it replaces [µs/msg].
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import BenchArgs, Record, record


def _messages(n: int) -> list[bytes]:
    from maniptrans_bringup.bag_io import typestore
    from maniptrans_bringup.export_bag import joint_message

    store = typestore()
    names = [f"left_arm_joint_{i}" for i in range(1, 8)]
    rng = np.random.default_rng(0)
    return [
        store.serialize_cdr(
            joint_message(store, 10**18 + i, names, rng.normal(size=7)),
            "sensor_msgs/msg/JointState",
        )
        for i in range(n)
    ]


def run(args: BenchArgs) -> list[Record]:
    from maniptrans_bringup.bag_io import BagSink, open_writer, typestore

    n = 2_000 if args.quick else 50_000
    msgs = _messages(n)
    topic, mtype = "/left/arm/command", "sensor_msgs/msg/JointState"
    with tempfile.TemporaryDirectory() as tmp:
        # anchor: rosbags writer called directly
        w = open_writer(Path(tmp) / "direct", "mcap")
        conn = w.add_connection(topic, mtype, typestore=typestore())
        t0 = time.perf_counter()
        for i, m in enumerate(msgs):
            w.write(conn, 10**18 + i, m)
        t_direct_loop = time.perf_counter() - t0
        w.close()
        t_direct = time.perf_counter() - t0
        # ours: BagSink (callbacks only append to a queue)
        sink = BagSink(Path(tmp) / "sink", "mcap")
        sink.add_topic(topic, mtype)
        t0 = time.perf_counter()
        for i, m in enumerate(msgs):
            sink.put(topic, 10**18 + i, m)
        t_put = time.perf_counter() - t0
        stats = sink.close()
        t_sink = time.perf_counter() - t0
        assert stats.messages[topic] == n
    return [
        record(
            "bringup.bag_sink.write_rate",
            "msg/s",
            n / t_sink,
            "rosbags Writer.write loop",
            n / t_direct,
            lower_is_better=False,
            messages=n,
        ),
        record(
            "bringup.bag_sink.put_us",
            "us/msg",
            1e6 * t_put / n,
            "rosbags Writer.write per call",
            1e6 * t_direct_loop / n,
            messages=n,
        ),
    ]
