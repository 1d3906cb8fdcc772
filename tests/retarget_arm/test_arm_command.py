"""The arm_ik node's logic without ROS: input checks, continuity, unreachable targets."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest

from maniptrans_retarget.arm_command import ArmCommandStreamer, Level, StreamConfig
from maniptrans_retarget.arm_errors import ArmIkError
from maniptrans_retarget.arm_ik import COMFORTABLE_POSTURE, ArmIk, IkConfig
from maniptrans_retarget.arm_targets import FlangeTargets

DT = 1.0 / 60.0
T0 = 1000.0  # wall-clock start of the synthetic stream [s]


@pytest.fixture(scope="module")
def rig():
    from maniptrans_description.rig import RigCalibration

    return RigCalibration.load()


@pytest.fixture(scope="module")
def streamer_parts(kin, rig):
    ik = ArmIk(kin, IkConfig(posture=COMFORTABLE_POSTURE))
    return ik, FlangeTargets.from_rig(rig, "left")


def _wrists(kin, targets, Q):
    """(T, 3) positions and (T, 4) quaternions x y z w of the sim wrist for joint path Q."""
    W = targets.to_wrist(np.array([kin.flange_pose(q) for q in Q]))
    quats = np.array([pin.Quaternion(w[:3, :3]).coeffs() for w in W])
    return W[:, :3, 3], quats


def _path(n, start=COMFORTABLE_POSTURE):
    t = np.arange(n)[:, None] * DT
    return np.asarray(start) + 0.2 * np.sin(2 * np.pi * 0.4 * t + np.arange(7))


def test_a_reachable_wrist_stream_becomes_converged_continuous_commands(kin, streamer_parts):
    ik, targets = streamer_parts
    Q = _path(120)
    pos, quat = _wrists(kin, targets, Q)
    s = ArmCommandStreamer(ik, targets, q_start=Q[0])
    prev = None  # the first command is where the drivers soft-start to (see below)
    for k in range(120):
        out = s.on_wrist(pos[k], quat[k], T0 + k * DT, T0 + k * DT, monotonic=k * DT)
        assert out.reason == "ok" and out.command is not None
        if prev is not None:
            assert np.all(np.abs(out.command - prev) <= ik.max_velocity * DT + 1e-9)
        prev = out.command
    level, _message, values = s.report(monotonic=119 * DT)
    assert level == Level.OK
    assert values["frames_solved"] == 120
    assert values["position_residual_max_m"] < 1e-4
    assert s.report(monotonic=119 * DT)[2]["frames_solved"] == 0  # the window was reset


@pytest.mark.parametrize(
    ("stamp", "position", "quat", "reason"),
    [
        (T0 - 2.0, [0.3, 0.0, 0.3], [0, 0, 0, 1], "stale"),
        (T0 + 2.0, [0.3, 0.0, 0.3], [0, 0, 0, 1], "future"),
        (T0, [0.3, np.nan, 0.3], [0, 0, 0, 1], "non-finite"),
        (T0, [0.3, 0.0, 0.3], [0, 0, 0, 3], "bad-pose"),
    ],
)
def test_bad_input_is_rejected_and_counted_without_a_command(
    streamer_parts, stamp, position, quat, reason
):
    ik, targets = streamer_parts
    s = ArmCommandStreamer(ik, targets)
    out = s.on_wrist(np.array(position), np.array(quat, dtype=float), stamp, T0, monotonic=0.0)
    assert out.command is None and out.reason == reason
    level, _message, values = s.report(monotonic=0.0)
    assert values[f"rejected_{reason}"] == 1
    assert level >= Level.WARN


def test_an_older_or_repeated_stamp_is_rejected_as_out_of_order(kin, streamer_parts):
    ik, targets = streamer_parts
    pos, quat = _wrists(kin, targets, _path(2))
    s = ArmCommandStreamer(ik, targets, q_start=np.array(COMFORTABLE_POSTURE))
    assert s.on_wrist(pos[0], quat[0], T0, T0, monotonic=0.0).command is not None
    assert s.on_wrist(pos[1], quat[1], T0, T0, monotonic=0.01).reason == "out-of-order"
    assert s.on_wrist(pos[1], quat[1], T0 - DT, T0, monotonic=0.02).reason == "out-of-order"


@pytest.mark.parametrize("policy", ["hold", "best"])
def test_an_unreachable_target_is_flagged_and_never_makes_the_command_jump(
    kin, streamer_parts, policy
):
    ik, targets = streamer_parts
    Q = _path(30)
    pos, quat = _wrists(kin, targets, Q)
    pos[10:20] += [2.0, 0.0, 0.0]  # ten frames 2 m out of reach
    s = ArmCommandStreamer(ik, targets, StreamConfig(on_unreachable=policy), q_start=Q[0])
    first = s.on_wrist(pos[0], quat[0], T0, T0, monotonic=0.0)  # the soft-start pose
    prev, reasons = first.command, [first.reason]
    for k in range(1, 30):
        out = s.on_wrist(pos[k], quat[k], T0 + k * DT, T0 + k * DT, monotonic=k * DT)
        reasons.append(out.reason)
        assert np.all(np.abs(out.command - prev) <= ik.max_velocity * DT + 1e-9)
        if policy == "hold" and out.reason == "unreachable-hold":
            np.testing.assert_array_equal(out.command, prev)
        prev = out.command
    assert reasons[10:20] == [f"unreachable-{policy}"] * 10
    assert set(reasons[:10]) == {"ok"}
    level, message, values = s.report(monotonic=29 * DT)
    assert level == Level.ERROR and "10 unreachable" in message
    assert values["position_residual_max_m"] > 1.0


def test_the_first_command_is_the_full_solution_of_the_first_frame_found_from_the_measured_arm(
    kin, streamer_parts
):
    # the drivers soft-start (a slow planned move) to the first command: it must be the first
    # frame's solution, not a step on the way there (which may pass through the table)
    ik, targets = streamer_parts
    Q = _path(120)
    pos, quat = _wrists(kin, targets, Q)
    measured = Q[0] + np.array([0.4, -0.3, 0.3, -0.4, 0.3, 0.3, -0.3])
    s = ArmCommandStreamer(ik, targets)
    s.set_measured(measured)
    out = s.on_wrist(pos[0], quat[0], T0, T0, monotonic=0.0)
    assert out.reason == "ok"
    np.testing.assert_allclose(kin.flange_pose(out.command), kin.flange_pose(Q[0]), atol=2e-4)
    # its redundancy already sits where the stream's posture pull would take it, so streaming
    # starts without a self-motion catch-up
    from maniptrans_retarget.arm_ik import IkStream

    settle = IkStream(ik, out.command).step(kin.flange_pose(Q[0]), 1.0 / ik.config.posture_gain)
    assert np.abs(settle.posture_step).max() < 1e-3
    s = ArmCommandStreamer(ik, targets)
    s.set_measured(measured)
    out = s.on_wrist(pos[0], quat[0], T0, T0, monotonic=0.0)
    prev = out.command
    for k in range(1, 120):
        nxt = s.on_wrist(pos[k], quat[k], T0 + k * DT, T0 + k * DT, monotonic=k * DT)
        assert nxt.reason == "ok"
        assert np.all(np.abs(nxt.command - prev) <= ik.max_velocity * DT + 1e-9)  # streamed
        prev = nxt.command
    assert s.report(monotonic=119 * DT)[2]["started_from"] == "measured joint state"


def test_a_repeated_pose_repeats_the_command_so_a_held_replay_holds_the_arm(kin, streamer_parts):
    # the player re-sends the frame it holds at (a fault elsewhere): the arm must stand still,
    # not wander along its self-motion toward the posture while the wrist target stands
    ik, targets = streamer_parts
    Q = _path(60)
    pos, quat = _wrists(kin, targets, Q)
    s = ArmCommandStreamer(ik, targets, q_start=Q[0])
    t = 0.0
    for k in range(30):
        last = s.on_wrist(pos[k], quat[k], T0 + t, T0 + t, monotonic=t).command
        t += DT
    for _ in range(90):  # 3 s held at frame 29, re-sent at 30 Hz
        t += 1.0 / 30.0
        out = s.on_wrist(pos[29], quat[29], T0 + t, T0 + t, monotonic=t)
        assert out.reason == "ok"
        np.testing.assert_array_equal(out.command, last)
    prev = last
    for k in range(30, 60):  # resumes from rest, continuously
        t += DT
        out = s.on_wrist(pos[k], quat[k], T0 + t, T0 + t, monotonic=t)
        assert out.reason == "ok"
        assert np.all(np.abs(out.command - prev) <= ik.max_velocity * DT + 1e-9)
        prev = out.command


def test_a_first_frame_out_of_reach_is_approached_step_by_step_from_the_measured_arm(
    kin, streamer_parts
):
    ik, targets = streamer_parts
    pos, quat = _wrists(kin, targets, _path(1))
    measured = np.array(COMFORTABLE_POSTURE)
    s = ArmCommandStreamer(ik, targets)
    s.set_measured(measured)
    out = s.on_wrist(pos[0] + [2.0, 0.0, 0.0], quat[0], T0, T0, monotonic=0.0)
    assert out.reason == "unreachable-hold"
    np.testing.assert_array_equal(out.command, measured)


def test_after_a_silence_the_next_pose_restarts_from_the_measured_state(kin, streamer_parts):
    ik, targets = streamer_parts
    Q = _path(3)
    pos, quat = _wrists(kin, targets, Q)
    s = ArmCommandStreamer(ik, targets, q_start=Q[0])
    s.on_wrist(pos[0], quat[0], T0, T0, monotonic=0.0)
    moved = Q[0] + 0.2
    s.set_measured(moved)  # someone moved the arm while the stream was silent
    out = s.on_wrist(pos[1], quat[1], T0 + 5.0, T0 + 5.0, monotonic=5.0)
    assert out.reason == "ok"
    np.testing.assert_allclose(kin.flange_pose(out.command), kin.flange_pose(Q[1]), atol=2e-4)
    assert s.report(monotonic=5.0)[2]["started_from"] == "measured joint state"
    level, message, _ = s.report(monotonic=10.0)
    assert level == Level.WARN and "no wrist pose" in message


def test_bad_stream_settings_are_refused():
    with pytest.raises(ArmIkError, match="on_unreachable"):
        StreamConfig(on_unreachable="jump")
    with pytest.raises(ArmIkError, match="max_dt"):
        StreamConfig(max_dt=0.0)
