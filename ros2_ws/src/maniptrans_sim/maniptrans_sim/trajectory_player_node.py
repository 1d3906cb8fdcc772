"""trajectory_player: publishes a transferred task (or a bag of /sim topics) at the data's rate.

Topics out: ``/sim/<side>/hand/joint_states``, ``/sim/<side>/wrist_pose``,
``/sim/objects/<name>/pose`` (stamped with the publish time), and a ``trajectory_player`` status
on ``/diagnostics``. Topic in: ``/diagnostics`` (the drivers' ``ready`` key).
Services: ``~/pause``, ``~/resume``, ``~/restart`` (std_srvs/Trigger).

The file is loaded and validated before anything is published. Until every driver in
``ready_sources`` reports ``ready`` (soft start done) the player only re-sends frame 0 at
``prime_rate_hz`` (the target the drivers soft-start to); the timeline starts once all are ready.
While one of them is not ready (a fault, a reconnect that needs a new soft start) the replay
holds, re-sending the frame it stands at, and continues afterwards. State changes are published
on ``/diagnostics`` at once (``trajectory_player``, key ``state``).
With ``loop`` a task starts over after its end, reaching its first frame again over
``loop_return_s`` seconds of data time (smooth, no jump; 0 = jump back at once; a bag loops as
recorded). Exits 0 at the end of the task when ``exit_on_end`` is set, 2 on a bad file, 1 when
the drivers did not become ready within ``ready_timeout_s``.
"""

from __future__ import annotations

import sys
import threading
import time

import rclpy
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import PoseStamped
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import JointState
from std_srvs.srv import Trigger

from maniptrans_description.node_runtime import init_ros, next_due, spin_until
from maniptrans_sim.player import PlaybackClock, PlayState
from maniptrans_sim.player_readiness import ReadinessTracker
from maniptrans_sim.player_source import (
    JOINT_STATE,
    WORLD_FRAME,
    PlayerSourceError,
    TaskSource,
    hand_topic,
    load_source,
    object_topic,
    restamp_cdr,
    wrist_topic,
)

_MSG = {JOINT_STATE: JointState}


class TrajectoryPlayer(Node):
    """Plays a :mod:`maniptrans_sim.player_source` source on the ``/sim`` topics."""

    def __init__(self, **kwargs) -> None:
        super().__init__("trajectory_player", **kwargs)
        self.declare_parameter("task", "")
        self.declare_parameter("rollout", "")
        self.declare_parameter("rate_scale", 1.0)
        self.declare_parameter("loop", False)
        self.declare_parameter("loop_return_s", 2.0)
        self.declare_parameter("exit_on_end", True)
        self.declare_parameter("end_hold_s", 1.0)
        self.declare_parameter("wait_ready", True)
        self.declare_parameter("ready_sources", [""])
        self.declare_parameter("ready_timeout_s", 60.0)
        self.declare_parameter("ready_stale_s", 5.0)
        self.declare_parameter("pause_when_not_ready", True)
        self.declare_parameter("restamp", True)
        self.declare_parameter("late_drop_s", 0.1)
        self.declare_parameter("prime_rate_hz", 30.0)
        p = lambda name: self.get_parameter(name).value  # noqa: E731
        path = str(p("task"))
        if not path:
            raise PlayerSourceError(
                "parameter task: expected a sequence folder, rollouts.hdf5 or a bag; found ''"
            )
        self.source = load_source(path, str(p("rollout")) or None)
        if bool(p("loop")) and isinstance(self.source, TaskSource):
            self.source.add_loop_return(float(p("loop_return_s")))  # a bag loops as recorded
        self.clock_ = PlaybackClock(self.source.times, float(p("rate_scale")), bool(p("loop")))
        self.exit_on_end = bool(p("exit_on_end"))
        self.end_hold_s = float(p("end_hold_s"))
        self.restamp = bool(p("restamp"))
        self.late_drop_s = float(p("late_drop_s"))
        self.prime_period = 1.0 / max(float(p("prime_rate_hz")), 1e-3)
        self.last_prime = 0.0
        self.held: dict[str, int] = {}  # topic -> index of the newest frame/event published
        self.last_state = PlayState.IDLE
        self.pause_when_not_ready = bool(p("pause_when_not_ready"))
        self.ready_timeout_s = float(p("ready_timeout_s"))
        sources = [s for s in p("ready_sources") if s] if p("wait_ready") else []
        self.readiness = ReadinessTracker(sources, stale_s=float(p("ready_stale_s")))
        self.lock = threading.RLock()  # _step publishes the status, which reads under it
        self.done = threading.Event()
        self.exit_code = 0
        self.fault_hold = False  # paused because a driver is not ready
        self.published = 0
        self.skipped = 0
        self.started_wait = time.monotonic()

        qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.pubs = {
            topic: self.create_publisher(_MSG.get(t, PoseStamped), topic, qos)
            for topic, t in self.source.topics().items()
        }
        self.diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 50)
        self.create_service(Trigger, "~/pause", self._srv(self._pause))
        self.create_service(Trigger, "~/resume", self._srv(self._resume))
        self.create_service(Trigger, "~/restart", self._srv(self._restart))
        self.create_timer(1.0, self._publish_status)
        self.get_logger().info(f"loaded {self.source.describe()}")
        if sources:
            self.get_logger().info(f"waiting for ready from {sources}")
        self.thread = threading.Thread(target=self._play_loop, name="player", daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop the playback thread and wait for it: it must not publish on a node being
        destroyed (in one process with other nodes, that raised in the thread)."""
        self.done.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(timeout=2.0)

    # --- services -----------------------------------------------------------------------
    def _srv(self, fn):
        def handler(_req, res):
            with self.lock:
                res.success, res.message = fn(time.monotonic())
            self.get_logger().info(f"{fn.__name__.strip('_')}: {res.message}")
            return res

        return handler

    def _pause(self, now: float) -> tuple[bool, str]:
        ok = self.clock_.pause(now)
        self.fault_hold = False
        return ok, f"state {self.clock_.state.value}, frame {self.clock_.next_index}"

    def _resume(self, now: float) -> tuple[bool, str]:
        if not self.readiness.all_ready(now):
            return False, f"drivers not ready: {self.readiness.not_ready(now)}"
        ok = self.clock_.resume(now)
        return ok, f"state {self.clock_.state.value}, frame {self.clock_.next_index}"

    def _restart(self, now: float) -> tuple[bool, str]:
        if not self.readiness.all_ready(now):
            return False, f"drivers not ready: {self.readiness.not_ready(now)}"
        self.clock_.restart(now)
        self.fault_hold = False
        return True, "restarted at frame 0"

    # --- readiness ----------------------------------------------------------------------
    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        now = time.monotonic()
        for st in msg.status:
            values = {kv.key: kv.value for kv in st.values}
            self.readiness.update(st.name, st.hardware_id, values.get("ready"), now)

    # --- playback -----------------------------------------------------------------------
    def _play_loop(self) -> None:
        finished_at = None
        while rclpy.ok(context=self.context) and not self.done.is_set():
            now = time.monotonic()
            with self.lock:
                wake = self._step(now)
                state = self.clock_.state
            if state is PlayState.FINISHED and self.exit_on_end:
                finished_at = finished_at or now
                if now - finished_at >= self.end_hold_s:
                    self.get_logger().info(
                        f"task ended: {self.published} frames published, {self.skipped} late "
                        "frames skipped"
                    )
                    self.done.set()
                    return
            delay = 0.02 if wake is None else min(max(wake - time.monotonic(), 0.0), 0.02)
            time.sleep(delay)

    def _step(self, now: float) -> float | None:
        wake = self._advance(now)
        if self.clock_.state is not self.last_state:
            self.last_state = self.clock_.state
            self._publish_status()  # state changes are on /diagnostics at once (report windows)
        if self.clock_.state in (PlayState.IDLE, PlayState.PAUSED):
            due = self.last_prime + self.prime_period
            if now >= due:
                # on a fixed schedule: a late loop does not push the next one back (waking
                # `prime_period` after each send, a 20 ms sleep granularity made 30 Hz 25 Hz)
                self.last_prime = next_due(due, now, self.prime_period) - self.prime_period
                self._publish_hold()
            wake = self.last_prime + self.prime_period
        return wake

    def _publish_hold(self) -> None:
        """Re-send the frame the replay stands at (frame 0 before the start): the drivers
        soft-start to it and their watchdogs stay fed while the replay waits or holds."""
        if isinstance(self.source, TaskSource):
            self._publish_one(self.held.get("frame", 0), count=False)
            return
        if not self.held:  # before the start: the first message of every topic
            for k, ev in enumerate(self.source.events):
                self.held.setdefault(ev.topic, k)
        for k in self.held.values():
            self._publish_one(k, count=False)

    def _advance(self, now: float) -> float | None:
        clock = self.clock_
        ready = self.readiness.all_ready(now)
        if clock.state is PlayState.IDLE:
            if ready:
                self.get_logger().info("drivers ready: playing")
                clock.start(now)
            elif now - self.started_wait > self.ready_timeout_s:
                self.get_logger().error(
                    f"drivers not ready after {self.ready_timeout_s:.0f} s: "
                    f"{self.readiness.not_ready(now)}; nothing was published"
                )
                self.exit_code = 1
                self.done.set()
            return None
        if self.pause_when_not_ready:
            if clock.state is PlayState.PLAYING and not ready:
                clock.pause(now)
                self.fault_hold = True
                self.get_logger().warning(
                    f"holding at frame {clock.next_index}: "
                    f"not ready {self.readiness.not_ready(now)}"
                )
            elif clock.state is PlayState.PAUSED and self.fault_hold and ready:
                clock.resume(now)
                self.fault_hold = False
                self.get_logger().info(f"drivers ready again: resuming at {clock.next_index}")
        due = clock.due(now)
        if due:
            self._publish(due, clock.data_time(now))
        return clock.next_deadline(time.monotonic())

    def _publish(self, indices: list[int], data_time: float) -> None:
        """Publish the due frames; ones later than ``late_drop_s`` (data time) are dropped,
        except the newest, so a stall does not turn into a burst of stale setpoints."""
        times = self.source.times
        keep = [k for k in indices[:-1] if data_time - times[k] <= self.late_drop_s]
        self.skipped += len(indices) - 1 - len(keep)
        for k in [*keep, indices[-1]]:
            self._publish_one(k)

    def _publish_one(self, k: int, count: bool = True) -> None:
        stamp = self.get_clock().now().to_msg()
        if isinstance(self.source, TaskSource):
            self.held["frame"] = k
            frame = self.source.frame(k)
            for side, q in frame.hands.items():
                js = JointState()
                js.header.stamp = stamp
                js.name = self.source.joint_names[side]
                js.position = q.tolist()
                self.pubs[hand_topic(side)].publish(js)
            for side, pose in frame.wrists.items():
                self.pubs[wrist_topic(side)].publish(_pose(stamp, pose))
            for name, pose in frame.objects.items():
                self.pubs[object_topic(name)].publish(_pose(stamp, pose))
            self.published += int(count)
            return
        ev = self.source.events[k]
        self.held[ev.topic] = k
        data = restamp_cdr(ev.data, stamp.sec, stamp.nanosec) if self.restamp else ev.data
        self.pubs[ev.topic].publish(data)
        self.published += int(count)

    def _publish_status(self) -> None:
        now = time.monotonic()
        with self.lock:
            clock = self.clock_
            values = {
                "state": clock.state.value,
                "frame": str(clock.next_index),
                "frames": str(len(self.source)),
                "loops": str(clock.loops),
                "rate_scale": f"{clock.rate_scale:g}",
                "held_by_fault": str(self.fault_hold).lower(),
                "not_ready": ",".join(self.readiness.not_ready(now)),
                "published": str(self.published),
                "skipped": str(self.skipped),
            }
        st = DiagnosticStatus(
            level=DiagnosticStatus.WARN if self.fault_hold else DiagnosticStatus.OK,
            name="trajectory_player",
            message=values["state"],
            hardware_id="trajectory_player",
            values=[KeyValue(key=k, value=v) for k, v in values.items()],
        )
        arr = DiagnosticArray(status=[st])
        arr.header.stamp = self.get_clock().now().to_msg()
        self.diag_pub.publish(arr)


def _pose(stamp, pose) -> PoseStamped:
    msg = PoseStamped()
    msg.header.stamp = stamp
    msg.header.frame_id = WORLD_FRAME
    p, o = msg.pose.position, msg.pose.orientation
    p.x, p.y, p.z = (float(v) for v in pose[:3])
    o.x, o.y, o.z, o.w = (float(v) for v in pose[3:7])
    return msg


def main(args=None) -> None:
    stop = init_ros(args)
    try:
        node = TrajectoryPlayer()
    except PlayerSourceError as exc:
        print(f"trajectory_player: {exc}", file=sys.stderr)
        rclpy.try_shutdown()
        sys.exit(2)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    spin_until(executor, stop, node.done.is_set)
    code = node.exit_code
    node.close()
    executor.shutdown()
    node.destroy_node()
    rclpy.try_shutdown()
    sys.exit(code)


if __name__ == "__main__":
    main()
