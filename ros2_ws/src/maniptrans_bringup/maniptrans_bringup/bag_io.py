"""rosbag2 writing for the recorder and the exporter: version 8, mcap (default) or sqlite3.

Pure module (rosbags, no rclpy). :class:`BagSink` takes already-serialized CDR messages from
any thread and writes them from one writer thread, so a subscription callback only appends
bytes to a queue (no decoding, no I/O in the hot path). :meth:`BagSink.close` writes every
queued message before closing the bag: nothing that reached the sink is lost.
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass
from pathlib import Path

from maniptrans_bringup.errors import BringupError

BAG_VERSION = 8  # Humble reads 8; 9 writes offered_qos_profiles in a form Humble rejects
STORAGES = ("mcap", "sqlite3")


def typestore():
    """The message definitions written into bags (standard messages, Jazzy definitions)."""
    from rosbags.typesys import Stores, get_typestore

    return get_typestore(Stores.ROS2_JAZZY)


def open_writer(path: str | Path, storage: str = "mcap"):
    """A rosbags ``Writer`` (version 8) at ``path``, which must not exist yet."""
    from rosbags.rosbag2 import StoragePlugin, Writer

    if storage not in STORAGES:
        raise BringupError(f"storage {storage!r}: expected one of {STORAGES}")
    p = Path(path)
    if p.exists():
        raise BringupError(f"{p}: bag output exists already; choose a new folder")
    p.parent.mkdir(parents=True, exist_ok=True)
    plugin = StoragePlugin.MCAP if storage == "mcap" else StoragePlugin.SQLITE3
    writer = Writer(p, version=BAG_VERSION, storage_plugin=plugin)
    writer.open()
    return writer


@dataclass
class SinkStats:
    """Counters of a :class:`BagSink` (messages and bytes per topic)."""

    messages: collections.Counter
    bytes: int = 0


class BagSink:
    """Thread-safe serialized-message sink in front of one bag writer.

    Every writer call happens on the sink's own thread (sqlite3 objects must stay on the thread
    that made them); callers only append to a queue.

    Args:
        path: bag folder to create.
        storage: ``"mcap"`` or ``"sqlite3"``.
    """

    def __init__(self, path: str | Path, storage: str = "mcap") -> None:
        self.path = Path(path)
        self.storage = storage
        if storage not in STORAGES:
            raise BringupError(f"storage {storage!r}: expected one of {STORAGES}")
        if self.path.exists():
            raise BringupError(f"{self.path}: bag output exists already; choose a new folder")
        self._store = typestore()
        self._topics: dict[str, str] = {}
        # items: ("topic", topic, msgtype) or ("msg", topic, t_ns, data)
        self._queue: collections.deque[tuple] = collections.deque()
        self._cv = threading.Condition()
        self._closing = False
        self._closed = False
        self.error: BaseException | None = None
        self.stats = SinkStats(messages=collections.Counter())
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bag-writer", daemon=True)
        self._thread.start()
        self._opened.wait()
        if self.error is not None:
            raise BringupError(f"{self.path}: cannot create the bag ({self.error})")

    def add_topic(self, topic: str, msgtype: str) -> None:
        """Declare ``topic`` (e.g. ``sensor_msgs/msg/JointState``); must precede :meth:`put`."""
        if topic in self._topics:
            return
        if msgtype not in self._store.fielddefs:
            raise BringupError(f"bag {self.path}: topic {topic}: unknown message type {msgtype!r}")
        self._topics[topic] = msgtype
        self._push(("topic", topic, msgtype))

    def has_topic(self, topic: str) -> bool:
        return topic in self._topics

    def put(self, topic: str, t_ns: int, data: bytes) -> None:
        """Queue one serialized message received at ``t_ns`` [ns, ROS time]."""
        self._push(("msg", topic, t_ns, data))

    def _push(self, item: tuple) -> None:
        self._queue.append(item)  # deque.append is atomic
        if len(self._queue) == 1:
            with self._cv:
                self._cv.notify()

    def _run(self) -> None:
        try:
            writer = open_writer(self.path, self.storage)
        except BaseException as exc:
            self.error = exc
            self._opened.set()
            return
        self._opened.set()
        conns: dict[str, object] = {}
        try:
            while True:
                with self._cv:
                    while not self._queue and not self._closing:
                        self._cv.wait(0.1)
                    if not self._queue and self._closing:
                        break
                while self._queue:
                    item = self._queue.popleft()
                    if item[0] == "topic":
                        conns[item[1]] = writer.add_connection(
                            item[1], item[2], typestore=self._store
                        )
                        continue
                    _, topic, t_ns, data = item
                    writer.write(conns[topic], t_ns, data)
                    self.stats.messages[topic] += 1
                    self.stats.bytes += len(data)
        except BaseException as exc:  # keep the reason; close() re-raises it
            self.error = exc
        finally:
            writer.close()

    def close(self) -> SinkStats:
        """Write everything queued, then close the bag (writes metadata.yaml). Idempotent."""
        if not self._closed:
            with self._cv:
                self._closing = True
                self._cv.notify()
            self._thread.join()
            self._closed = True
            if self.error is not None:
                raise BringupError(f"{self.path}: writing failed ({self.error})")
        return self.stats


def read_bag_messages(path: str | Path, topics: list[str] | None = None):
    """Yield ``(topic, msgtype, t_ns, raw)`` of a bag in time order (raw CDR bytes)."""
    from rosbags.rosbag2 import Reader
    from rosbags.rosbag2.errors import ReaderError

    try:
        with Reader(Path(path)) as reader:
            conns = [c for c in reader.connections if topics is None or c.topic in topics]
            for conn, t_ns, raw in reader.messages(connections=conns):
                yield conn.topic, conn.msgtype, t_ns, raw
    except (ReaderError, OSError) as exc:
        raise BringupError(f"{path}: cannot read as rosbag2 ({exc})") from exc


def bag_summary(path: str | Path) -> dict[str, dict[str, object]]:
    """``topic -> {"type", "count"}`` from a bag's metadata."""
    from rosbags.rosbag2 import Reader
    from rosbags.rosbag2.errors import ReaderError

    try:
        with Reader(Path(path)) as reader:
            return {c.topic: {"type": c.msgtype, "count": c.msgcount} for c in reader.connections}
    except (ReaderError, OSError) as exc:
        raise BringupError(f"{path}: cannot read as rosbag2 ({exc})") from exc


__all__ = [
    "BAG_VERSION",
    "STORAGES",
    "BagSink",
    "bag_summary",
    "open_writer",
    "read_bag_messages",
    "typestore",
]
