"""bag_recorder: records the replay's topics to a rosbag2 (version 8, mcap or sqlite3).

Subscriptions are ``raw=True``: callbacks receive the serialized CDR bytes and hand them to a
:class:`~maniptrans_bringup.bag_io.BagSink` (no decoding in the hot path). On SIGINT or SIGTERM
the node stops taking new topics, keeps spinning until no message has arrived for
``drain_quiet_s`` (so messages already delivered to its readers are written too), then closes
the bag and exits 0.

Parameters:
    output (str): bag folder to create ("" = ``bag_<time>`` in the working directory).
    storage (str): ``mcap`` | ``sqlite3``.
    topics (str[]): recorded from the start; types from the topic contract, or ``topic:type``.
    discover (str[]): regexes; matching topics are added when they appear in the graph.
    discover_period_s (float): graph polling period [s].
    queue_depth (int): subscription history depth (reliable QoS).
    drain_quiet_s (float): on shutdown, stop once nothing arrived for this long [s]...
    drain_max_s (float): ...or after this long, when other nodes keep publishing [s].
"""

from __future__ import annotations

import importlib
import re
import sys
import time

import rclpy
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy

from maniptrans_bringup.bag_io import BagSink
from maniptrans_bringup.errors import BringupError
from maniptrans_bringup.topics import contract_type
from maniptrans_description.node_runtime import init_ros, spin_until


def _msg_class(msgtype: str):
    pkg, _, name = msgtype.split("/")
    return getattr(importlib.import_module(f"{pkg}.msg"), name)


def _received_ns(info: dict) -> int:
    """When the DDS reader received a message [ns], not when its callback ran: a loaded process
    runs callbacks late, and the bag must not claim the message arrived then."""
    return info.get("received_timestamp") or time.time_ns()


class BagRecorder(Node):
    """Records serialized messages of the configured and discovered topics."""

    def __init__(self, **kwargs) -> None:
        super().__init__("bag_recorder", **kwargs)
        d = ParameterDescriptor
        self.declare_parameter("output", "", d(description="bag folder to create"))
        self.declare_parameter("storage", "mcap", d(description="mcap | sqlite3"))
        self.declare_parameter("topics", [""], d(description="topic or topic:type"))
        self.declare_parameter("discover", [""], d(description="regexes of topics to add"))
        self.declare_parameter("discover_period_s", 0.5)
        self.declare_parameter("queue_depth", 1000)
        self.declare_parameter("drain_quiet_s", 0.3)
        self.declare_parameter("drain_max_s", 1.0)
        p = self.get_parameter
        output = p("output").value or time.strftime("bag_%Y%m%d_%H%M%S")
        self.depth = int(p("queue_depth").value)
        self.drain_quiet_s = float(p("drain_quiet_s").value)
        self.drain_max_s = float(p("drain_max_s").value)
        self.patterns = [re.compile(x) for x in p("discover").value if x]
        self.sink = BagSink(output, str(p("storage").value))
        self.last_rx = time.monotonic()
        self.accepting = True
        self._subs = {}
        for entry in p("topics").value:
            if not entry:
                continue
            topic, _, msgtype = entry.partition(":")
            msgtype = msgtype or contract_type(topic)
            if msgtype is None:
                raise BringupError(
                    f"parameter topics: {topic!r} is not a contract topic; give its type "
                    "as topic:pkg/msg/Type"
                )
            self._record(topic, msgtype)
        if self.patterns:
            self.create_timer(float(p("discover_period_s").value), self._discover)
            self._discover()
        self.get_logger().info(
            f"recording {len(self._subs)} topics to {self.sink.path} ({self.sink.storage})"
        )

    def _qos(self, topic: str) -> QoSProfile:
        qos = QoSProfile(depth=self.depth, reliability=ReliabilityPolicy.RELIABLE)
        infos = self.get_publishers_info_by_topic(topic)
        if infos and all(
            i.qos_profile.reliability == ReliabilityPolicy.BEST_EFFORT for i in infos
        ):
            qos.reliability = ReliabilityPolicy.BEST_EFFORT
        return qos

    def _record(self, topic: str, msgtype: str) -> None:
        if topic in self._subs or not self.accepting:
            return
        self.sink.add_topic(topic, msgtype)
        sink_put = self.sink.put

        def on_message(data: bytes, info: dict, _topic: str = topic) -> None:
            sink_put(_topic, _received_ns(info), data)
            self.last_rx = time.monotonic()

        self._subs[topic] = self.create_subscription(
            _msg_class(msgtype), topic, on_message, self._qos(topic), raw=True
        )

    def _discover(self) -> None:
        for topic, types in self.get_topic_names_and_types():
            if topic in self._subs or not types:
                continue
            if any(pat.search(topic) for pat in self.patterns):
                self._record(topic, types[0])

    def drained(self, t_stop: float, now: float) -> bool:
        """After a stop at ``t_stop`` (monotonic [s]): nothing arrived for ``drain_quiet_s``, or
        ``drain_max_s`` passed (other nodes may keep publishing). Until then, messages already
        on their way still go into the bag."""
        quiet = now - max(self.last_rx, t_stop) >= self.drain_quiet_s
        return quiet or now - t_stop >= self.drain_max_s

    def take_pending(self) -> int:
        """Record every message that already reached a reader but whose callback has not run
        (a starved executor at the stop); returns how many. Call with the executor stopped."""
        n = 0
        for topic, sub in self._subs.items():
            while True:
                with sub.handle:
                    taken = sub.handle.take_message(sub.msg_type, sub.raw)
                if taken is None:
                    break
                data, info = taken
                self.sink.put(topic, _received_ns(info), data)
                n += 1
        return n

    def close(self) -> None:
        """Take what is still queued in the readers, then close the bag."""
        self.accepting = False
        pending = self.take_pending()
        if pending:
            self.get_logger().info(f"took {pending} messages still queued at the stop")
        stats = self.sink.close()
        total = sum(stats.messages.values())
        self.get_logger().info(
            f"closed {self.sink.path}: {total} messages, {stats.bytes} bytes, "
            f"{len(stats.messages)} topics"
        )


def main(args=None) -> None:
    stop = init_ros(args)
    try:
        node = BagRecorder()
    except BringupError as exc:
        print(f"bag_recorder: {exc}", file=sys.stderr)
        rclpy.shutdown()
        sys.exit(2)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    spin_until(executor, stop, period=0.05)
    # drain what already reached our readers, then close the bag
    node.accepting = False
    t_stop = time.monotonic()
    while not node.drained(t_stop, time.monotonic()):
        executor.spin_once(timeout_sec=0.02)
    code = 0
    try:
        node.close()
    except BringupError as exc:
        node.get_logger().error(str(exc))
        code = 1
    executor.shutdown()
    node.destroy_node()
    rclpy.try_shutdown()
    sys.exit(code)


if __name__ == "__main__":
    main()
