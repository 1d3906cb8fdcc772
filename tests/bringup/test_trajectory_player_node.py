"""trajectory_player as a real process: waits for ready, plays at 60 Hz, holds on faults,
pause/resume/restart services, bag input, and refuses bad files before publishing."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from task_factory import task_ending_far_from_its_start, write_task

from maniptrans_bringup.export_bag import export_task_bag

pytestmark = [pytest.mark.ros]

HAND = "/sim/right/hand/joint_states"


class Drivers:
    """Publishes ``ready`` for a fake driver on /diagnostics at 10 Hz from the test process."""

    def __init__(self, peer, name: str = "fake_driver") -> None:
        from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

        self.ready = False
        pub = peer.node.create_publisher(DiagnosticArray, "/diagnostics", 10)

        def tick() -> None:
            kv = KeyValue(key="ready", value="true" if self.ready else "false")
            pub.publish(DiagnosticArray(status=[DiagnosticStatus(name=name, values=[kv])]))

        self.timer = peer.node.create_timer(0.1, tick)


class Recv:
    """Receive times and positions of a JointState topic."""

    def __init__(self, peer, topic: str = HAND) -> None:
        from sensor_msgs.msg import JointState

        self.lock = threading.Lock()
        self.t: list[float] = []
        self.q: list[list[float]] = []
        self.stamps: list[int] = []

        def cb(msg) -> None:
            with self.lock:
                self.t.append(time.monotonic())
                self.q.append(list(msg.position))
                self.stamps.append(msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec)

        self.sub = peer.node.create_subscription(JointState, topic, cb, 100)

    def count(self) -> int:
        with self.lock:
            return len(self.t)


def _player(launch_node, task, **params):
    p = {"task": str(task), "ready_sources": ["fake_driver"], "end_hold_s": 0.2}
    p.update(params)
    return launch_node("trajectory_player", package="maniptrans_sim", params=p, wait_topics=[HAND])


def _wait(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_player_waits_for_ready_then_plays_every_frame_at_60hz_and_exits(
    launch_node, ros_node, tmp_path
):
    seq = write_task(tmp_path, 60)
    drivers = Drivers(ros_node)
    rx = Recv(ros_node)
    player = _player(launch_node, seq)
    from maniptrans_sim.player_source import load_source

    q = load_source(seq).task.hands["right"].q
    time.sleep(1.0)
    primed = rx.count()
    assert primed > 5, "frame 0 is not re-sent while waiting (the drivers soft-start to it)"
    assert np.allclose(rx.q, q[0]), "published past frame 0 before the drivers were ready"
    with rx.lock:
        prime = np.diff(np.array(rx.stamps[:primed]) * 1e-9)
    assert np.median(prime) == pytest.approx(1 / 30, rel=0.1), "not at prime_rate_hz (30)"
    drivers.ready = True
    player.proc.wait(15)
    assert player.returncode == 0, player.log()
    played = np.array(rx.q[-60:])
    assert np.allclose(played, q)
    assert np.allclose(rx.q[: len(rx.q) - 60], q[0])
    periods = np.diff(rx.t[-60:])
    assert np.median(periods) == pytest.approx(1 / 60, abs=0.004)
    assert all(b > a for a, b in zip(rx.stamps, rx.stamps[1:], strict=False))


def test_a_looped_task_goes_back_to_its_first_frame_without_a_jump(
    launch_node, ros_node, tmp_path
):
    from maniptrans_sim.task_file import save_task

    task = task_ending_far_from_its_start()
    seq = save_task(task, tmp_path / task.name)
    q = task.hands["right"].q
    drivers = Drivers(ros_node)
    drivers.ready = True
    rx = Recv(ros_node)
    _player(launch_node, seq, loop=True, loop_return_s=0.5)
    _wait(lambda: rx.count() > 200, 15, "two passes and more")  # 30 + 30 back per pass
    with rx.lock:
        got = np.array(rx.q)
    last = np.flatnonzero(np.all(np.isclose(got, q[-1]), axis=1))
    assert last.size >= 2, "the task's last frame came fewer than twice: not looping"
    back = got[last[0] : last[1]]
    assert np.any(np.all(np.isclose(back, q[0]), axis=1)), "the next pass did not start at frame 0"
    jump = np.abs(q[-1] - q[0]).max()
    step = np.abs(np.diff(got, axis=0)).max()
    # a bare loop steps the whole jump in one frame; 30 smoothstep frames take <= 1.5 / 31 of it
    assert step < 0.1 * jump, (step, jump)


def test_player_holds_while_a_driver_is_not_ready_and_resumes_after(
    launch_node, ros_node, tmp_path
):
    seq = write_task(tmp_path, 120)
    drivers = Drivers(ros_node)
    rx = Recv(ros_node)
    drivers.ready = True
    player = _player(launch_node, seq, ready_stale_s=1.0)
    _wait(lambda: rx.count() > 40, 10, "first frames")
    drivers.ready = False
    time.sleep(0.4)
    t_held = time.monotonic()
    time.sleep(0.8)
    with rx.lock:
        during = [q for t, q in zip(rx.t, rx.q, strict=True) if t >= t_held]
    assert len(during) > 5, "the held frame is not re-sent"
    assert np.allclose(during, during[0]), "advanced while a driver was not ready"
    drivers.ready = True
    player.proc.wait(15)
    assert player.returncode == 0, player.log()
    from maniptrans_sim.player_source import load_source

    q = load_source(seq).task.hands["right"].q
    distinct = [p for i, p in enumerate(rx.q) if i == 0 or p != rx.q[i - 1]]
    idx, j = [], 0
    for p in distinct:  # match each received frame to the next equal frame of the task
        while j < len(q) and not np.allclose(q[j], p):
            j += 1
        assert j < len(q), "a frame arrived out of order"
        idx.append(j)
        j += 1
    assert idx[0] == 0 and idx[-1] == 119
    assert len(idx) >= 117, f"frames lost across the hold: {sorted(set(range(120)) - set(idx))}"
    assert "holding at frame" in player.log()


def test_pause_resume_and_restart_services(launch_node, ros_node, tmp_path):
    from std_srvs.srv import Trigger

    seq = write_task(tmp_path, 240)
    drivers = Drivers(ros_node)
    drivers.ready = True
    rx = Recv(ros_node)
    player = _player(launch_node, seq, exit_on_end=False)

    def call(name: str):
        cli = ros_node.node.create_client(Trigger, f"/trajectory_player/{name}")
        assert cli.wait_for_service(10.0)
        fut = cli.call_async(Trigger.Request())
        _wait(fut.done, 5, name)
        return fut.result()

    _wait(lambda: rx.count() > 10, 10, "first frames")
    assert call("pause").success
    time.sleep(0.2)
    n = rx.count()
    time.sleep(0.5)
    with rx.lock:
        paused = rx.q[n:]
    assert paused and np.allclose(paused, rx.q[n - 1]), "moved on while paused"
    n = rx.count()
    assert not call("pause").success  # already paused
    assert call("resume").success
    _wait(lambda: rx.count() > n + 5, 5, "frames after resume")
    assert call("restart").success
    _wait(lambda: rx.count() > n + 15, 5, "frames after restart")
    with rx.lock:
        q = np.array(rx.q)
    # after restart the hand starts over from frame 0 (fingers open again)
    assert np.abs(q[-15:, 5]).min() < np.abs(q[n : n + 5, 5]).max()
    assert player.alive()


def test_player_plays_a_bag_with_recorded_timing_and_fresh_stamps(launch_node, ros_node, tmp_path):
    seq = write_task(tmp_path, 60)
    export_task_bag(seq, tmp_path / "bag", start_ns=1_600_000_000 * 10**9)
    drivers = Drivers(ros_node)
    rx = Recv(ros_node)
    player = _player(launch_node, tmp_path / "bag")
    drivers.ready = True  # only once we are subscribed
    player.proc.wait(15)
    assert player.returncode == 0, player.log()
    from maniptrans_sim.player_source import load_source

    q = load_source(seq).task.hands["right"].q
    assert np.allclose(rx.q[-60:], q)
    assert np.median(np.diff(rx.t[-60:])) == pytest.approx(1 / 60, abs=0.004)
    assert min(rx.stamps) > 1_700_000_000 * 10**9  # restamped with the publish time


def test_player_refuses_a_bad_file_before_publishing(launch_node, tmp_path):
    seq = write_task(tmp_path, 20)
    (seq / "seq_info.json").write_text('{"type": "bih"}')
    player = launch_node("trajectory_player", package="maniptrans_sim", params={"task": str(seq)})
    player.proc.wait(15)
    assert player.returncode == 2
    assert "seq_info.json" in player.log() and "seq_len" in player.log()


def test_player_gives_up_when_drivers_never_get_ready(launch_node, tmp_path):
    seq = write_task(tmp_path, 20)
    player = launch_node(
        "trajectory_player",
        package="maniptrans_sim",
        params={"task": str(seq), "ready_sources": ["nobody"], "ready_timeout_s": 1.0},
    )
    player.proc.wait(15)
    assert player.returncode == 1
    assert "nobody" in player.log()
