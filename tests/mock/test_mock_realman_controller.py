"""The RealMan controller's rules, run synchronously against the first-order joint model."""

from __future__ import annotations

import numpy as np
import pytest

from maniptrans_sim.mock.realman.controller import (
    ERR_COLLISION,
    ERR_JOINT_LIMIT,
    ERR_SPEED_LIMIT,
    JERR_POSITION_LIMIT,
    JERR_STEP,
    JERR_TRACKING,
    ArmConfig,
    RealmanController,
)
from maniptrans_sim.mock.rig_model import FirstOrderRig
from maniptrans_sim.mock.runner import TwinRunner


class Rig:
    """Controller + model + synchronous runner, with the arrival messages collected."""

    def __init__(self) -> None:
        self.model = FirstOrderRig()
        self.events: list[dict] = []
        self.ctrl = RealmanController(
            ArmConfig("left"), event_sink=lambda s, m: self.events.append(m)
        )
        self.runner = TwinRunner(self.model, [self.ctrl])

    def run(self, seconds: float) -> None:
        self.runner.advance(seconds)

    def q_deg(self) -> np.ndarray:
        return np.rad2deg(self.model.arm_state("left")[0])


def mdeg(*deg: float) -> list[int]:
    return [round(d * 1000) for d in deg]


def movej(joint_deg, v=50, connect=0) -> dict:
    return {"command": "movej", "v": v, "joint": mdeg(*joint_deg), "trajectory_connect": connect}


def canfd(joint_deg, follow=True) -> dict:
    return {"command": "movej_canfd", "joint": mdeg(*joint_deg), "follow": follow}


@pytest.fixture
def rig() -> Rig:
    return Rig()


def test_movej_reaches_the_goal_and_sends_one_successful_arrival(rig: Rig) -> None:
    goal = [20, -30, 10, 45, 0, 20, -15]
    assert rig.ctrl.handle(movej(goal)) == {"command": "movej", "receive_state": True}
    rig.run(0.1)
    traj = rig.ctrl.handle({"command": "get_arm_current_trajectory"})
    assert traj["type"] == "movej"
    rig.run(3.0)
    assert rig.events == [
        {
            "state": "current_trajectory_state",
            "trajectory_state": True,
            "device": 0,
            "trajectory_connect": 0,
        }
    ]
    np.testing.assert_allclose(rig.q_deg(), goal, atol=0.2)
    assert rig.ctrl.handle({"command": "get_arm_current_trajectory"})["type"] == "none"


def test_movej_never_exceeds_v_percent_of_the_joint_speed_limit(rig: Rig) -> None:
    rig.ctrl.handle(movej([90, 0, 0, 0, 0, 0, 0], v=20))
    peak = 0.0
    for _ in range(300):
        rig.run(0.01)
        peak = max(peak, float(np.max(np.abs(rig.model.arm_state("left")[1]))))
    assert peak <= 0.2 * rig.ctrl.max_speed[0] * 1.02
    assert peak > 0.1 * rig.ctrl.max_speed[0]  # it did move at a useful speed


def test_movej_beyond_a_joint_limit_is_refused_and_latches_0x1002(rig: Rig) -> None:
    reply = rig.ctrl.handle(movej([0, 140, 0, 0, 0, 0, 0]))  # joint 2 limit is 130 deg
    assert reply["receive_state"] is False
    assert rig.ctrl.error_list() == [ERR_JOINT_LIMIT]
    # latched: even a valid move is refused until cleared
    assert rig.ctrl.handle(movej([5, 0, 0, 0, 0, 0, 0]))["receive_state"] is False
    assert rig.ctrl.handle({"command": "clear_system_err"})["clear_state"] is True
    assert rig.ctrl.error_list() == [0]
    assert rig.ctrl.handle(movej([5, 0, 0, 0, 0, 0, 0]))["receive_state"] is True


def test_connected_segments_wait_for_the_last_one_and_report_each_arrival(rig: Rig) -> None:
    rig.ctrl.handle(movej([10, 0, 0, 0, 0, 0, 0], connect=1))
    rig.run(0.5)
    assert np.allclose(rig.q_deg(), 0.0)  # trajectory_connect=1: not started yet
    rig.ctrl.handle(movej([10, 10, 0, 0, 0, 0, 0], connect=0))
    rig.run(3.0)
    assert [e["trajectory_connect"] for e in rig.events] == [1, 0]
    assert all(e["trajectory_state"] for e in rig.events)
    np.testing.assert_allclose(rig.q_deg()[:2], [10, 10], atol=0.2)


def test_high_follow_passthrough_tracks_a_smooth_stream(rig: Rig) -> None:
    for k in range(100):
        assert rig.ctrl.handle(canfd([0.2 * k, 0, 0, 0, 0, 0, 0])) is None  # never a reply
        rig.run(0.01)
    rig.run(0.2)
    assert rig.q_deg()[0] == pytest.approx(19.8, abs=0.1)
    assert rig.ctrl.error_list() == [0]
    assert rig.ctrl.stats["frames_ignored"] == 0


def test_high_follow_frame_jumping_more_than_10_degrees_is_ignored_with_step_warning(
    rig: Rig,
) -> None:
    rig.ctrl.handle(canfd([12, 0, 0, 0, 0, 0, 0]))
    rig.run(0.2)
    assert rig.q_deg()[0] == pytest.approx(0.0, abs=1e-6)
    assert rig.ctrl.joint_errors[0] == JERR_STEP
    assert np.all(rig.ctrl.joint_errors[1:] == 0)
    rig.ctrl.handle({"command": "set_joint_clear_err", "joint_clear_err": 1})
    assert not rig.ctrl.has_error()


def test_high_follow_frame_too_fast_for_the_period_latches_0x1009(rig: Rig) -> None:
    for k in range(10):  # 1 deg per 10 ms: 100 deg/s, fine
        rig.ctrl.handle(canfd([1.0 * k, 0, 0, 0, 0, 0, 0]))
        rig.run(0.01)
    rig.ctrl.handle(canfd([9.0 + 5.0, 0, 0, 0, 0, 0, 0]))  # 5 deg in 10 ms: 500 deg/s
    assert ERR_SPEED_LIMIT in rig.ctrl.error_list()


def test_high_follow_frame_beyond_limits_latches_0x1002_and_0x0200(rig: Rig) -> None:
    rig.ctrl.handle(canfd([0, 0, 0, 0, 0, 130.5, 0]))  # joint 6 limit is 128 deg
    assert rig.ctrl.error_list() == [ERR_JOINT_LIMIT]
    assert rig.ctrl.joint_errors[5] == JERR_POSITION_LIMIT


def test_low_follow_clamps_to_limits_and_plans_at_bounded_speed(rig: Rig) -> None:
    rig.ctrl.handle(canfd([0, 0, 0, 0, 0, 150, 0], follow=False))  # far and beyond the limit
    rig.run(0.1)
    assert rig.ctrl.error_list() == [0]
    assert rig.q_deg()[5] < 20.0  # 180 deg/s for 0.1 s at most
    for _ in range(25):
        rig.ctrl.handle(canfd([0, 0, 0, 0, 0, 150, 0], follow=False))
        rig.run(0.1)
    assert rig.q_deg()[5] == pytest.approx(128.0, abs=0.1)


def test_a_frozen_joint_latches_tracking_error_and_fails_the_move(rig: Rig) -> None:
    rig.model.set_frozen("left", "arm", 3, True)
    rig.ctrl.handle(movej([0, 0, 0, 60, 0, 0, 0], v=100))
    rig.run(2.0)
    assert rig.ctrl.joint_errors[3] & JERR_TRACKING
    assert rig.events[-1]["trajectory_state"] is False
    assert rig.ctrl.handle({"command": "get_arm_current_trajectory"})["type"] == "none"


def test_stop_holds_the_arm_and_reports_no_trajectory(rig: Rig) -> None:
    rig.ctrl.handle(movej([60, 0, 0, 0, 0, 0, 0], v=30))
    rig.run(0.4)
    assert rig.ctrl.handle({"command": "set_arm_stop"}) == {
        "command": "set_arm_stop",
        "arm_stop": True,
    }
    q_stop = rig.q_deg()[0]
    rig.run(1.0)
    assert 1.0 < q_stop < 59.0
    assert rig.q_deg()[0] == pytest.approx(q_stop, abs=0.5)
    assert rig.ctrl.handle({"command": "get_arm_current_trajectory"})["type"] == "none"
    assert rig.events == []  # stopped, not arrived


def test_slow_stop_comes_to_rest_beyond_the_point_where_it_was_asked(rig: Rig) -> None:
    rig.ctrl.handle(movej([60, 0, 0, 0, 0, 0, 0], v=30))
    rig.run(0.6)
    q_asked = rig.q_deg()[0]
    rig.ctrl.handle({"command": "set_arm_slow_stop"})
    rig.run(1.0)
    q_rest = rig.q_deg()[0]
    assert q_asked < q_rest < 59.0
    assert rig.ctrl.status() == "slow_stop"


def test_injected_collision_stops_the_arm_and_latches_until_cleared(rig: Rig) -> None:
    rig.ctrl.handle(movej([60, 0, 0, 0, 0, 0, 0], v=30))
    rig.run(0.4)
    rig.ctrl.raise_error(ERR_COLLISION)
    state = rig.ctrl.handle({"command": "get_current_arm_state"})["arm_state"]
    assert state["err"] == [ERR_COLLISION]
    assert rig.events[-1]["trajectory_state"] is False
    assert rig.ctrl.handle(movej([0, 0, 0, 0, 0, 0, 0]))["receive_state"] is False
    rig.ctrl.handle({"command": "clear_system_err"})
    assert rig.ctrl.handle(movej([0, 0, 0, 0, 0, 0, 0]))["receive_state"] is True


def test_power_off_refuses_motion_and_reports_joints_disabled(rig: Rig) -> None:
    assert rig.ctrl.handle({"command": "set_arm_power", "arm_power": 0})["arm_power"] is True
    assert rig.ctrl.handle({"command": "get_arm_power_state"})["power_state"] == 0
    assert rig.ctrl.handle(movej([5, 0, 0, 0, 0, 0, 0]))["receive_state"] is False
    all_state = rig.ctrl.handle({"command": "get_arm_all_state"})["all_state"]
    assert all_state["en_flag"] == [0] * 7


def test_state_replies_carry_the_model_angles_and_flange_pose(rig: Rig) -> None:
    rig.model.set_arm_state("left", np.deg2rad([10, 20, 30, 40, 50, 60, 70]))
    rig.run(0.01)
    state = rig.ctrl.handle({"command": "get_current_arm_state"})["arm_state"]
    assert state["joint"] == pytest.approx(mdeg(10, 20, 30, 40, 50, 60, 70), abs=2)
    rig.model.set_arm_state("left", np.zeros(7))
    rig.run(0.01)
    pose = rig.ctrl.handle({"command": "get_current_arm_state"})["arm_state"]["pose"]
    assert pose[:3] == [0, 0, 850500]  # RM75-B flange at q = 0 [um]


def test_handshake_reports_a_7_dof_rm75_with_its_limits(rig: Rig) -> None:
    info = rig.ctrl.handle({"command": "get_arm_software_info"})
    assert info["Product_version"] == "RM75-B"
    dh = rig.ctrl.handle({"command": "get_DH_data"})
    assert dh["joint_7"] == [90000, 0, 144000, 0]
    lo = rig.ctrl.handle({"command": "get_joint_min_pos"})["min_pos"]
    assert lo[1] == -130000 and len(lo) == 7
    speed = rig.ctrl.handle({"command": "get_joint_max_speed"})["joint_speed"]
    # wire unit 0.001 RPM; the SDK converts with x 0.006 to deg/s
    np.testing.assert_allclose(np.array(speed) * 0.006, np.rad2deg(rig.ctrl.max_speed), atol=0.01)
    assert 170.0 < speed[0] * 0.006 < 190.0
