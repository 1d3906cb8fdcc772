"""End to end: ``maniptrans-replay`` against the mock rig, every node its own process.

The demo task replays to the end with the tracking targets, the bag holds every topic at its
rate, and the fault scenarios behave: /estop stops everything, a hand serial disconnect holds
the replay until a new soft start, an unreachable wrist is refused before motion.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from maniptrans_bringup.procs import find_executable
from maniptrans_bringup.specs import default_task
from ros_harness import RosPeer, next_domain_id

NODES = {
    "mock_rig": "maniptrans_sim",
    "trajectory_player": "maniptrans_sim",
    "hand_retarget": "maniptrans_retarget",
    "arm_ik": "maniptrans_retarget",
    "realman_driver": "realman_inspire_driver",
    "inspire_driver": "realman_inspire_driver",
    "bag_recorder": "maniptrans_bringup",
}


def _missing() -> list[str]:
    out = [f"{pkg}/{exe}" for exe, pkg in NODES.items() if find_executable(pkg, exe) is None]
    if not default_task():
        out.append("the default task (maniptrans_bringup/tasks/default/<name>_bih)")
    return out


MISSING = _missing()
# Integration blocker seen when every part had landed (set MANIPTRANS_E2E=1 to run anyway):
# realman_driver's planned soft start (movej to the first arm_ik command) does not arrive on
# mock_rig's twin: the left arm stops short of the target (joint 4 at 1.50 vs 1.56 rad, joint 6
# at 0.29 vs 0.64 rad after 30 s, ground truth and driver agree), the driver latches "soft start
# did not arrive", is never `ready`, and the player waits until ready_timeout_s. The mock hands
# also dropped the Modbus link under load ("0 of 2 reply bytes before the deadline",
# inspire_driver timeout 20 ms).
BLOCKER = (
    "realman_driver soft start never completes on mock_rig's twin (the twin arm stops ~0.35 rad "
    "short of the movej target; driver never ready); set MANIPTRANS_E2E=1 to run"
)
RUN_ANYWAY = os.environ.get("MANIPTRANS_E2E") == "1"
pytestmark = [
    pytest.mark.ros,
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(MISSING), reason=f"needs executables/data not landed yet: {', '.join(MISSING)}"
    ),
]
needs_motion = pytest.mark.skipif(not RUN_ANYWAY, reason=BLOCKER)


class Replay:
    """The runner as a subprocess on its own ROS domain, with a peer node on that domain."""

    def __init__(self, tmp: Path, *tokens: str) -> None:
        self.domain = next_domain_id()
        self.bag = tmp / "bag"
        env = dict(os.environ, ROS_DOMAIN_ID=str(self.domain), PYTHONUNBUFFERED="1")
        env["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
        argv = [
            shutil.which("maniptrans-replay") or "maniptrans-replay",
            f"bag:={self.bag}",
            *tokens,
        ]
        self.log_path = tmp / "replay.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            argv, stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=tmp
        )
        self.peer = RosPeer(self.domain, name="e2e_peer")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(30)
            raise AssertionError(
                f"replay did not end within {timeout} s\n{self.log()[-4000:]}"
            ) from None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._log.close()
        self.peer.close()


class Recorder:
    """Time-stamped JointState positions of one topic, received in the test process."""

    def __init__(self, peer: RosPeer, topic: str) -> None:
        from sensor_msgs.msg import JointState

        self.lock = threading.Lock()
        self.t: list[float] = []
        self.q: list[list[float]] = []

        def cb(msg) -> None:
            with self.lock:
                self.t.append(time.monotonic())
                self.q.append(list(msg.position))

        self.sub = peer.node.create_subscription(JointState, topic, cb, 200)

    def count(self) -> int:
        with self.lock:
            return len(self.t)

    def since(self, t0: float) -> np.ndarray:
        with self.lock:
            return np.array([q for t, q in zip(self.t, self.q, strict=True) if t >= t0])


def _until(pred, timeout: float, what: str, replay: Replay) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        if replay.proc.poll() is not None:
            raise AssertionError(f"replay exited while waiting for {what}\n{replay.log()[-4000:]}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}\n{replay.log()[-4000:]}")


@pytest.fixture
def replay_factory(tmp_path):
    started: list[Replay] = []

    def make(*tokens: str) -> Replay:
        r = Replay(tmp_path, *tokens)
        started.append(r)
        return r

    yield make
    for r in started:
        r.close()


@needs_motion
def test_demo_task_replays_to_the_end_within_tracking_targets(replay_factory, tmp_path):
    from maniptrans_bringup.bag_io import bag_summary
    from maniptrans_bringup.report import build_report, format_table, load_replay
    from maniptrans_bringup.topics import replay_topics

    r = replay_factory("mock:=true", "record:=true")
    rc = r.wait(240)
    assert rc == 0, r.log()[-6000:]
    assert "task ended" in r.log()
    rep = build_report(load_replay(r.bag))
    print(format_table(rep))  # the measured numbers, shown with -s
    for side in ("left", "right"):
        s = rep["sides"][side]
        assert math.degrees(s["arm_tracking"]["rms"]) < 1.0, s["arm_tracking"]
        assert s["fingertip"]["rms"] < 0.005, s["fingertip"]
    summary = bag_summary(r.bag)
    for topic in replay_topics():
        assert summary.get(topic, {}).get("count", 0) > 0, f"{topic} missing from the bag"
    periods = rep["timing"]["periods"]
    expected_hz = {"arm/joint_states": 100.0, "hand/joint_states": 50.0}
    for side in ("left", "right"):
        for key, hz in expected_hz.items():
            assert periods[f"/{side}/{key}"]["rate_hz"] == pytest.approx(hz, rel=0.25)
        assert periods[f"/{side}/arm/command"]["rate_hz"] == pytest.approx(60.0, rel=0.25)
    sim = load_replay(r.bag).series["/sim/right/hand/joint_states"]
    assert 1.0 / np.median(np.diff(sim.t)) == pytest.approx(60.0, rel=0.1)


@needs_motion
def test_estop_mid_replay_stops_every_driver_and_nothing_moves_after(replay_factory):
    from std_srvs.srv import Trigger

    r = replay_factory("mock:=true", "record:=false", "loop:=true")
    sim = Recorder(r.peer, "/sim/right/hand/joint_states")
    arms = {s: Recorder(r.peer, f"/mock/{s}/arm/joint_states") for s in ("left", "right")}
    hands = {s: Recorder(r.peer, f"/mock/{s}/hand/joint_states") for s in ("left", "right")}
    _until(lambda: sim.count() > 60, 120, "the replay to play a second", r)
    cli = r.peer.node.create_client(Trigger, "/estop")
    assert cli.wait_for_service(10.0)
    t_stop = time.monotonic()
    fut = cli.call_async(Trigger.Request())
    _until(fut.done, 5, "/estop", r)
    assert fut.result().success, fut.result().message
    time.sleep(1.5)
    settle = 0.2  # the twin's servos decelerate; the drivers stop within one period (10 ms)
    for rec in (*arms.values(), *hands.values()):
        q = rec.since(t_stop + settle)
        assert len(q) > 10
        assert np.abs(q - q[0]).max() < math.radians(0.1), "a joint moved after /estop"


def _set_mock_param(peer: RosPeer, name: str, value: str) -> None:
    from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
    from rcl_interfaces.srv import SetParameters

    cli = peer.node.create_client(SetParameters, "/mock_rig/set_parameters")
    assert cli.wait_for_service(10.0)
    req = SetParameters.Request(
        parameters=[
            Parameter(
                name=name,
                value=ParameterValue(type=ParameterType.PARAMETER_STRING, string_value=value),
            )
        ]
    )
    fut = cli.call_async(req)
    deadline = time.monotonic() + 5
    while not fut.done() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fut.done() and fut.result().results[0].successful, fut.result()


@needs_motion
def test_hand_disconnect_holds_the_replay_until_a_new_soft_start(replay_factory):
    r = replay_factory("mock:=true", "record:=true")
    sim = Recorder(r.peer, "/sim/left/hand/joint_states")
    left_arm = Recorder(r.peer, "/mock/left/arm/joint_states")
    _until(lambda: sim.count() > 30, 120, "the replay to start", r)
    _set_mock_param(r.peer, "inject", "right_hand:disconnect_after=0")
    _until(lambda: "holding at frame" in r.log(), 10, "the player to hold", r)
    t_hold = time.monotonic()
    time.sleep(1.0)
    held_frames = sim.count()
    time.sleep(1.0)
    assert sim.count() == held_frames, "the player kept publishing during the fault"
    q = left_arm.since(t_hold + 0.3)
    assert np.abs(q - q[0]).max() < math.radians(0.1), "the left arm moved during the fault"
    _set_mock_param(r.peer, "inject", "right_hand:clear")
    rc = r.wait(180)
    assert rc == 0, r.log()[-6000:]
    log = r.log()
    assert "drivers ready again: resuming" in log
    assert "task ended" in log


@pytest.mark.skipif(
    shutil.which("maniptrans-check-reach") is None,
    reason="needs maniptrans_retarget's maniptrans-check-reach (not landed yet)",
)
def test_unreachable_wrist_is_refused_before_anything_moves(replay_factory, tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bringup"))
    from task_factory import make_task

    from maniptrans_sim.task_file import HandTrack, save_task

    task = make_task(60)
    right = task.hands["right"]
    far = right.state.copy()
    far[30:, 0] += 3.0  # the right wrist jumps 3 m away from the table
    hands = dict(task.hands)
    hands["right"] = HandTrack(right.q, right.dq, far, right.state_manip_obj, right.tip_force)
    from dataclasses import replace

    seq = save_task(replace(task, hands=hands), tmp_path / "far_bih")
    r = replay_factory(f"task:={seq}", "mock:=true")
    rc = r.wait(120)
    assert rc == 2, r.log()
    assert "REFUSED" in r.log()
    assert "starting /" not in r.log()
