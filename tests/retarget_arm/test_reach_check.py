"""Pre-hardware workspace check: reachability per frame, margins, arm distance, T_world_sim."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pinocchio as pin
import pytest

from maniptrans_retarget.arm_ik import COMFORTABLE_POSTURE
from maniptrans_retarget.arm_targets import FlangeTargets, world_sim_transform
from maniptrans_retarget.reach_check import ArmDistance, check_reach, main, suggest_world_sim

DT = 1.0 / 60.0
# the arms' centre of motion in the synthetic tracks: like the comfortable posture, with the
# shoulder and wrist raised so the hands stay ~13 cm above the table along the whole track
ABOVE_TABLE = (0.0, 0.3, 0.0, 1.4, 0.0, 0.6, 0.0)


@pytest.fixture(scope="module")
def rig():
    from maniptrans_description.rig import RigCalibration

    return RigCalibration.load()


def _track(kin, rig, side, n=90, T_world_sim=None):
    """(n, 7) sim wrist poses realised by a smooth joint path of ``side``'s arm (reachable)."""
    sign = 1.0 if side == "left" else -1.0
    t = np.arange(n)[:, None] * DT
    q0 = np.array(ABOVE_TABLE)
    q0[0] += 0.3 * sign
    Q = q0 + 0.25 * np.sin(2 * np.pi * 0.4 * t + np.arange(7))
    targets = FlangeTargets.from_rig(rig, side, T_world_sim)
    W = targets.to_wrist(np.array([kin.flange_pose(q) for q in Q]))
    quats = np.array([pin.Quaternion(w[:3, :3]).coeffs() for w in W])
    return np.hstack([W[:, :3, 3], quats])


def test_a_task_made_of_reachable_wrist_tracks_is_reported_fit(kin, rig):
    wrists = {s: _track(kin, rig, s) for s in ("left", "right")}
    report = check_reach(wrists, rig)
    assert report.all_reachable.all() and report.all_tracked.all()
    problems, notes = report.summary()
    assert problems == []
    assert any("90/90 frames reachable" in n for n in notes)
    assert np.all(np.isfinite(report.arm_distance)) and np.all(report.arm_distance > 0.1)
    for s in report.sides.values():
        assert np.all(s.limit_margin > 0) and np.all(s.position_error < 1e-4)
    assert set(report.to_json()["sides"]) == {"left", "right"}


def test_frames_out_of_reach_are_listed_by_side_and_frame(kin, rig):
    wrists = {s: _track(kin, rig, s) for s in ("left", "right")}
    wrists["right"][30:40, 0] += 1.5  # the right wrist leaves the workspace for 10 frames
    report = check_reach(wrists, rig, distances=False)
    right = report.sides["right"]
    assert not right.reachable[30:40].any()
    assert right.reachable[:30].all() and report.sides["left"].reachable.all()
    problems, _ = report.summary()
    assert any("right wrist unreachable in 10 frames: 30-39" in p for p in problems)


def test_the_arm_distance_shrinks_when_the_calibration_moves_the_arms_together(kin, rig):
    q = {"left": np.array(COMFORTABLE_POSTURE), "right": np.array(COMFORTABLE_POSTURE)}
    apart = ArmDistance(rig).distance(q)

    shift = world_sim_transform(np.array([0, -0.2, 0]), 0)
    closer_bases = {
        "left": rig.T_world_armbase["left"] @ shift,
        "right": rig.T_world_armbase["right"],
    }
    closer = ArmDistance(replace(rig, T_world_armbase=closer_bases)).distance(q)
    assert closer == pytest.approx(apart - 0.2, abs=0.02)
    # both arms turned to the middle of the table (mirror images): their hands overlap
    left_in = np.array(COMFORTABLE_POSTURE)
    left_in[0] = -1.2
    right_in = left_in * [-1, 1, -1, 1, -1, 1, -1]
    touching = ArmDistance(rig).distance({"left": left_in, "right": right_in})
    assert touching <= 0.0


def test_a_sim_world_placed_badly_gets_a_better_suggestion(kin, rig):
    wrists = {s: _track(kin, rig, s, n=60) for s in ("left", "right")}  # fit the calibration
    too_far = rig.T_world_sim @ world_sim_transform(np.array([0.4, 0.0, 0.0]), 0.0)
    bad_rig = replace(rig, T_world_sim=too_far)  # the sim world 0.4 m further out
    T_best, fraction, fraction_before = suggest_world_sim(wrists, bad_rig, samples=8)
    assert fraction_before < 0.5
    assert fraction == 1.0
    assert check_reach(wrists, bad_rig, T_world_sim=T_best, distances=False).all_reachable.all()


def test_the_cli_checks_a_saved_task_and_exits_by_verdict(kin, rig, tmp_path, capsys):
    from maniptrans_sim.task_file import HandTrack, SeqInfo, TransferredTask, save_task

    n = 60
    hands = {}
    for side in ("left", "right"):
        w = _track(kin, rig, side, n=n)
        state = np.zeros((n, 13))
        state[:, :7] = w
        hands[side] = HandTrack(
            q=np.zeros((n, 12)),
            dq=np.zeros((n, 12)),
            state=state,
            state_manip_obj=state.copy(),
            tip_force=np.zeros((n, 15)),
        )
    task = TransferredTask(
        name="reach_bih",
        info=SeqInfo(seq_len=n, type="bih"),
        hands=hands,
        reward=np.ones(n),
        actions=np.zeros((n, 36)),
    )
    seq = save_task(task, tmp_path / "reach_bih")
    out_json = tmp_path / "reach.json"
    assert main([str(seq.parent if seq.is_file() else seq), "--json", str(out_json)]) == 0
    text = capsys.readouterr().out
    assert "OK: fit for hardware" in text and "minimum distance between the arms" in text
    assert out_json.is_file()
    assert main([str(tmp_path / "missing")]) == 2


def test_a_wrist_too_fast_for_the_velocity_limit_is_a_problem_only_beyond_the_lag_allowed(
    kin, rig
):
    wrists = {s: _track(kin, rig, s) for s in ("left", "right")}
    # from frame 30 on the left wrist sits 4 cm higher: reachable, but not within one frame
    wrists["left"][30:, 2] += 0.04
    report = check_reach(wrists, rig, distances=False)
    left = report.sides["left"]
    assert left.reachable.all() and not left.tracked[30]
    problems, _ = report.summary()
    assert any(p.startswith("left wrist too fast for the velocity limit") for p in problems)
    problems, notes = report.summary(max_lag_position=0.1, max_lag_rotation=1.0)
    assert problems == []
    assert any(n.startswith("left: the arm lags the wrist") for n in notes)


def test_table_clearance_follows_the_calibrated_table_height(kin, rig):
    from maniptrans_description.rig import TableGeometry

    q = {"left": np.array(ABOVE_TABLE), "right": np.array(ABOVE_TABLE)}
    base = ArmDistance(rig).table_clearance(q)
    assert set(base) == {"left", "right"} and all(c > 0.05 for c in base.values())
    lowered = TableGeometry(rig.table.size, (*rig.table.top_center[:2], -0.1))
    low = ArmDistance(replace(rig, table=lowered)).table_clearance(q)
    for side in q:
        assert low[side] == pytest.approx(base[side] + 0.1, abs=1e-6)
    raised = TableGeometry(rig.table.size, (*rig.table.top_center[:2], base["left"] + 0.03))
    inside = ArmDistance(replace(rig, table=raised)).table_clearance(q)
    assert inside["left"] == pytest.approx(-0.03, abs=1e-6)  # 3 cm deep in the raised table


def test_frames_with_a_hand_deep_inside_the_table_are_refused_and_shallow_contacts_noted(kin, rig):
    from maniptrans_description.rig import TableGeometry

    wrists = {s: _track(kin, rig, s) for s in ("left", "right")}
    clear = check_reach(wrists, rig, distances=False).table_clearance
    lowest = min(c.min() for c in clear.values())
    assert lowest > 0.05  # the reachable tracks stay well above the table
    # raise the table so that the lowest frames go 1 cm deep, the others stay shallower
    top = (*rig.table.top_center[:2], rig.table.top_center[2] + lowest + 0.01)
    high = replace(rig, table=TableGeometry(rig.table.size, top))
    report = check_reach(wrists, high, distances=False)
    problems, notes = report.summary(max_table_penetration=0.005)
    for side, c in report.table_clearance.items():
        np.testing.assert_allclose(c, clear[side] - lowest - 0.01, atol=1e-6)
        deep = np.flatnonzero(c < -0.005)
        lines = [p for p in problems if p.startswith(f"{side} hand more than 5 mm inside")]
        assert (len(lines) == 1) == (deep.size > 0)
        if deep.size:
            assert f"in {deep.size} frames" in lines[0]
    assert any("inside the table" in p for p in problems)
    assert any("smallest clearance of the hand above the table" in n for n in notes)
    relaxed, _ = report.summary(max_table_penetration=0.02)
    assert not any("inside the table" in p for p in relaxed)


def test_fingers_have_their_own_limit_and_only_overlapping_fingers_are_refused(kin, rig):
    # fingers of two hands holding one object come close by design, the arms may not
    q = {"left": np.array(COMFORTABLE_POSTURE), "right": np.array(COMFORTABLE_POSTURE)}
    probe = ArmDistance(rig)
    arms, fingers = probe.distances(q)
    assert probe.distance(q) == pytest.approx(arms, abs=1e-9)
    assert 0.1 < arms < 1.0 and 0.1 < fingers < 1.0
    closed = {s: np.full(12, 1.0) for s in ("left", "right")}  # curled fingers move
    assert probe.distances(q, closed)[1] != pytest.approx(fingers, abs=1e-4)
    assert probe.distances(q, closed)[0] == pytest.approx(arms, abs=1e-9)
    # a report whose arms stay 30 mm apart while fingers come to 5 mm, then overlap
    from maniptrans_retarget.reach_check import ReachReport

    n = 4
    report = ReachReport(
        frames=np.arange(n),
        sides={},
        arm_distance=np.full(n, 0.03),
        T_world_sim=np.eye(4),
        finger_distance=np.array([0.05, 0.005, -0.002, 0.01]),
    )
    problems, notes = report.summary()
    assert problems == ["fingers closer than 0 mm to the other side in 1 frames: 2"]
    assert any("finger to the other side -2.0 mm (frame 2)" in n for n in notes)
    problems, _ = report.summary(min_finger_distance=0.008)
    assert problems == ["fingers closer than 8 mm to the other side in 2 frames: 1-2"]
    problems, _ = report.summary(min_distance=0.04)
    assert any("arms closer than 40 mm in 4 frames" in p for p in problems)
