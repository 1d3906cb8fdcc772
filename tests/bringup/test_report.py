"""Replay report on synthetic bags whose errors are known by construction."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from maniptrans_bringup.bag_io import open_writer, typestore
from maniptrans_bringup.export_bag import joint_message, pose_message
from maniptrans_bringup.report import build_report, format_table, load_replay
from maniptrans_bringup.report_cli import main as report_main
from maniptrans_description.inspire import (
    actuator_names,
    actuators_to_sim_joints,
    sim_joint_names,
)
from maniptrans_description.rig import RigCalibration
from maniptrans_description.rm75 import joint_names, mdh_fk

T0 = 1_700_000_000 * 10**9
N = 120  # frames at 60 Hz


class BagBuilder:
    def __init__(self, path):
        self.store = typestore()
        self.w = open_writer(path, "mcap")
        self.conns = {}

    def put(self, topic, msgtype, t_ns, msg):
        if topic not in self.conns:
            self.conns[topic] = self.w.add_connection(topic, msgtype, typestore=self.store)
        self.w.write(self.conns[topic], t_ns, self.store.serialize_cdr(msg, msgtype))

    def joints(self, topic, t_ns, names, q, stamp_ns=None):
        msg = joint_message(self.store, stamp_ns if stamp_ns is not None else t_ns, names, q)
        self.put(topic, "sensor_msgs/msg/JointState", t_ns, msg)

    def pose(self, topic, t_ns, pose7, stamp_ns=None):
        msg = pose_message(self.store, stamp_ns if stamp_ns is not None else t_ns, pose7)
        self.put(topic, "geometry_msgs/msg/PoseStamped", t_ns, msg)

    def close(self):
        self.w.close()


def _pose_of(T):
    from scipy.spatial.transform import Rotation

    return np.concatenate([T[:3, 3], Rotation.from_matrix(T[:3, :3]).as_quat()])


def make_replay_bag(
    path, *, arm_offset=0.0, delay_ns=5_000_000, recorder_lag_ns=None, hand_lag_frames=0
):
    """Sim frames at 60 Hz; commands 5 ms later carrying the sim stamp; measured = command
    (+ ``arm_offset`` rad on joint 3) 1 ms after; the sim wrist is the FK of the command. The
    measured hand trails its commands by ``hand_lag_frames`` frames.
    ``recorder_lag_ns(k)``: how much later than published the recorder received frame k's
    measured states (their stamps stay the measurement times)."""
    calib = RigCalibration.load(None)
    b = BagBuilder(path)
    for k in range(N):
        t = T0 + round(k * 1e9 / 60)
        for i, side in enumerate(("left", "right")):
            s = k / N
            q_arm = np.array([0.1 * i, 0.5 + 0.2 * s, 0.0, 1.2 - 0.3 * s, 0.0, 0.6, 0.1 * s])
            a = np.array([0.5, 0.6, 0.7, 0.8, 0.3, 0.2]) * s  # actuators [rad]
            q_sim = actuators_to_sim_joints(side, a)
            T_hand = (
                calib.T_world_armbase[side]
                @ mdh_fk(calib.arm_variant, q_arm)
                @ calib.T_flange_hand[side]
            )
            sim_wrist = _pose_of(np.linalg.inv(calib.T_world_sim) @ T_hand)
            b.joints(f"/sim/{side}/hand/joint_states", t, sim_joint_names(side), q_sim)
            b.pose(f"/sim/{side}/wrist_pose", t, sim_wrist)
            b.joints(f"/{side}/arm/command", t + delay_ns, joint_names(side), q_arm, stamp_ns=t)
            b.joints(f"/{side}/hand/command", t + delay_ns, actuator_names(side), a, stamp_ns=t)
            q_meas = q_arm.copy()
            q_meas[2] += arm_offset
            t_meas = t + delay_ns + 1_000_000
            t_rx = t_meas + (recorder_lag_ns(k) if recorder_lag_ns else 0)
            b.joints(f"/{side}/arm/joint_states", t_rx, joint_names(side), q_meas, t_meas)
            a_meas = a * max(k - hand_lag_frames, 0) / k if k else a
            b.joints(f"/{side}/hand/joint_states", t_rx, actuator_names(side), a_meas, t_meas)
        obj = np.array([0.1, 0.0, 0.2 + 0.001 * k, 0, 0, 0, 1.0])
        b.pose("/sim/objects/box/pose", t, obj)
        twin = obj.copy()
        twin[:3] += np.array([0.4, 0.0, 0.0]) + np.array([0.0, 0.003, 0.0])  # T_world_sim + 3 mm
        b.pose("/mock/objects/box/pose", t + 2_000_000, twin)
    b.close()


def test_perfect_replay_has_zero_errors_and_the_commanded_latency(tmp_path):
    make_replay_bag(tmp_path / "bag")
    rep = build_report(load_replay(tmp_path / "bag"))
    for side in ("left", "right"):
        s = rep["sides"][side]
        assert s["arm_tracking"]["rms"] == pytest.approx(0.0, abs=1e-12)
        assert s["hand_tracking"]["rms"] == pytest.approx(0.0, abs=1e-12)
        assert s["fingertip"]["rms"] == pytest.approx(0.0, abs=1e-9)
        assert s["fingertip"]["lag"] == 0.0
        assert s["wrist"]["position"]["rms"] == pytest.approx(0.0, abs=1e-6)
        assert s["wrist"]["rotation"]["rms"] == pytest.approx(0.0, abs=1e-4)
        lat = rep["timing"]["latency"][f"/{side}/arm/command"]
        assert lat["method"] == "stamp propagated"
        assert lat["p50"] == pytest.approx(0.005, abs=1e-6)
        per = rep["timing"]["periods"][f"/{side}/arm/command"]
        assert per["rate_hz"] == pytest.approx(60.0, rel=1e-3)
        assert per["std"] < 1e-6
    box = rep["objects"]["box"]
    assert box["E_t"]["rms"] == pytest.approx(0.003, abs=1e-6)
    assert box["E_r"]["rms"] == pytest.approx(0.0, abs=1e-6)


def test_a_recorder_receiving_late_and_in_bursts_adds_no_error(tmp_path):
    # the recorder runs niced: on a busy machine it takes the measured states up to 0.2 s late,
    # several at once; samples sit at their stamps, so only the robot's own lag counts
    rng = np.random.default_rng(0)
    lags = rng.integers(0, 200_000_000, N)
    make_replay_bag(tmp_path / "bag", recorder_lag_ns=lambda k: int(lags[k]))
    rep = build_report(load_replay(tmp_path / "bag"))
    for side in ("left", "right"):
        s = rep["sides"][side]
        assert s["arm_tracking"]["rms"] == pytest.approx(0.0, abs=1e-12)
        assert s["fingertip"]["rms"] == pytest.approx(0.0, abs=1e-9)
        per = rep["timing"]["periods"][f"/{side}/arm/joint_states"]
        assert per["rate_hz"] == pytest.approx(60.0, rel=1e-3) and per["std"] < 1e-6


def test_a_hand_trailing_its_commands_splits_into_lag_and_shape_error(tmp_path):
    # 12 frames (0.2 s) behind: E_ft grows, but the delay explains all of it
    make_replay_bag(tmp_path / "bag", hand_lag_frames=12)
    rep = build_report(load_replay(tmp_path / "bag"))
    for side in ("left", "right"):
        tip = rep["sides"][side]["fingertip"]
        assert tip["rms"] > 0.002
        assert tip["lag"] == pytest.approx(0.2, abs=0.011)  # to the frame period
        assert tip["rms_at_lag"] == pytest.approx(0.0, abs=1e-9)
        joints = rep["sides"][side]["hand_tracking"]  # the same split of command vs measured
        assert joints["rms"] > 0.01
        assert joints["lag"] == pytest.approx(0.2, abs=0.011)
        assert joints["rms_at_lag"] == pytest.approx(0.0, abs=1e-12)
        arm = rep["sides"][side]["arm_tracking"]  # on time: no lag
        assert arm["lag"] == 0.0 and arm["rms_at_lag"] == pytest.approx(0.0, abs=1e-12)
    table = format_table(rep)
    assert "hand lag behind sim [ms]" in table and "arm lag [ms] / RMS at lag [deg]" in table


def test_an_arm_joint_offset_shows_in_that_joint_and_the_wrist(tmp_path):
    make_replay_bag(tmp_path / "bag", arm_offset=math.radians(2.0))
    rep = build_report(load_replay(tmp_path / "bag"))
    arm = rep["sides"]["left"]["arm_tracking"]
    assert arm["joints"]["left_arm_joint_3"]["rms"] == pytest.approx(math.radians(2.0))
    assert arm["joints"]["left_arm_joint_1"]["rms"] == pytest.approx(0.0, abs=1e-12)
    assert rep["sides"]["left"]["wrist"]["position"]["rms"] > 0.005
    assert "arm tracking RMS [deg]" in format_table(rep)


def test_report_cli_writes_json_plots_and_a_gif(tmp_path, capsys):
    make_replay_bag(tmp_path / "bag")
    rc = report_main([str(tmp_path / "bag"), "--out", str(tmp_path / "rep"), "--video"])
    assert rc == 0
    rep = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert rep["sides"]["right"]["fingertip"]["rms"] < 1e-9
    assert {p.rsplit("/", 1)[1] for p in rep["plots"]} == {
        "errors_left.png",
        "errors_right.png",
        "tracking_left.png",
        "tracking_right.png",
    }
    gif = tmp_path / "rep" / "replay.gif"
    assert gif.stat().st_size > 1000
    from PIL import Image

    assert Image.open(gif).n_frames >= 19  # 2 s at 10 fps
    assert "fingertip E_ft RMS [mm]" in capsys.readouterr().out


def test_report_cli_refuses_something_that_is_not_a_bag(tmp_path, capsys):
    (tmp_path / "nope").mkdir()
    assert report_main([str(tmp_path / "nope")]) == 2
    assert "nope" in capsys.readouterr().err


def test_errors_count_only_while_the_player_was_playing(tmp_path):
    from maniptrans_bringup.report import Series, playing_windows

    diags = [
        (1.0, "trajectory_player", 0, {"state": "idle"}),
        (2.0, "trajectory_player", 0, {"state": "playing"}),
        (3.0, "left_inspire_driver", 0, {"ready": "true"}),
        (4.0, "trajectory_player", 1, {"state": "paused"}),
        (5.0, "trajectory_player", 0, {"state": "playing"}),
    ]
    win = playing_windows(diags)
    assert win == [(2.0, 4.0), (5.0, float("inf"))]
    s = Series(np.arange(7.0), np.arange(7.0), [], np.zeros((7, 1)))
    assert s.within(win).t.tolist() == [2.0, 3.0, 4.0, 5.0, 6.0]
    assert playing_windows([(1.0, "x", 0, {})]) is None


def test_the_report_counts_each_sides_safety_rejections_and_stops():
    from maniptrans_bringup.report import diagnostics_summary, safety_counts

    def arm(rejected: int, latches: str, events: str) -> dict[str, str]:
        return {"rejected": str(rejected), "latches": latches, "events": events}

    diags = [
        (0.0, "left_realman_driver: left arm", 0, arm(0, "[]", '{"connected":1}')),
        (1.0, "left_realman_driver: left arm", 1, arm(3, "[]", '{"connected":1,"fault":1}')),
        (1.0, "left_inspire_driver: left hand", 0, arm(2, '["estop"]', "{}")),
        (1.0, "right_realman_driver: right arm", 0, arm(0, "[]", '{"connected":1}')),
        (1.0, "trajectory_player", 0, {"frame": "10"}),
    ]
    rep = {"diagnostics": diagnostics_summary(diags)}
    assert rep["diagnostics"]["left_realman_driver: left arm"]["safety"]["rejected"] == 3
    assert safety_counts(rep, "left") == (5, 2)  # the last counters: 3 + 2, one fault + estop
    assert safety_counts(rep, "right") == (0, 0)
    assert safety_counts({"diagnostics": diagnostics_summary(diags[-1:])}, "left") is None


def test_the_report_keeps_each_drivers_last_loop_statistics():
    from maniptrans_bringup.report import diagnostics_summary, driver_loop, format_table

    def loop(p50: str) -> dict[str, str]:
        return {"loop_rate_hz": "50", "loop_period_p50_ms": p50, "loop_period_p99_ms": "41.7"}

    diags = [
        (0.0, "left_inspire_driver: left hand", 0, loop("20.1")),
        (1.0, "left_inspire_driver: left hand", 0, loop("23.4")),
        (1.0, "right_inspire_driver: right hand", 0, {**loop("x"), "rejected": "0"}),
    ]
    rep = {"diagnostics": diagnostics_summary(diags), "sides": {}, "timing": {}, "objects": {}}
    assert driver_loop(rep, "left", "hand") == {
        "rate_hz": 50.0,
        "period_p50_ms": 23.4,
        "period_p99_ms": 41.7,
    }
    assert math.isnan(driver_loop(rep, "right", "hand")["period_p50_ms"])
    assert driver_loop(rep, "left", "arm") is None
    row = next(line for line in format_table(rep).splitlines() if line.startswith("hand loop"))
    assert row.split()[-6:] == ["23.4", "/", "42", "nan", "/", "42"]  # left, right
