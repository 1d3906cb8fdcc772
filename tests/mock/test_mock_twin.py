"""The MuJoCo twin: servos with lag and speed limits, coupled fingers, contact force, objects."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from maniptrans_sim.mock.inspire.device import HandConfig, InspireHandDevice
from maniptrans_sim.mock.robot_tables import arm_limits
from maniptrans_sim.mock.runner import TwinRunner
from maniptrans_sim.mock.twin import MujocoTwin, ObjectSpec, TwinConfig

pytest.importorskip("maniptrans_description")

ARM_POSE = np.deg2rad([0.0, 40.0, 0.0, 60.0, 0.0, 50.0, 0.0])  # hand in front, above the table
OPEN = np.array([0.0, 0.0, 0.0, 0.0, 0.0, -0.1])


def run(twin: MujocoTwin, seconds: float) -> None:
    n = round(seconds / twin.timestep)
    for _ in range(n // 2):
        twin.step(2)


@pytest.fixture(scope="module")
def twin() -> MujocoTwin:
    return MujocoTwin()


def test_arm_servo_lags_the_command_and_respects_the_joint_speed_limit(twin) -> None:
    twin.set_arm_state("left", np.zeros(7))
    goal = np.deg2rad([60.0, 0, 0, 0, 0, 0, 0])
    twin.set_arm_target("left", goal)
    peak = 0.0
    for _ in range(200):
        twin.step(2)
        peak = max(peak, abs(twin.arm_state("left")[1][0]))
    q = twin.arm_state("left")[0]
    vmax = arm_limits().velocity[0]
    assert peak <= vmax * 1.05  # never faster than the limit
    assert peak > 0.5 * vmax  # a big step is taken near full speed
    assert q[0] == pytest.approx(goal[0], abs=np.deg2rad(0.5))  # arrives (gravity compensated)


def test_finger_closes_at_the_commanded_speed_and_mimic_joints_follow(twin) -> None:
    q_goal = OPEN.copy()
    q_goal[3] = 1.7  # index fully closed
    twin.set_hand_target("right", q_goal, np.full(6, 1.7 / 0.5), np.full(6, 10.0))
    t0 = twin.time
    while twin.hand_state("right")[0][3] < 1.6 and twin.time - t0 < 2.0:
        twin.step(2)
    assert 0.4 < twin.time - t0 < 0.8  # 1.6 rad at 3.4 rad/s = 0.47 s plus servo lag
    run(twin, 0.3)
    joints = twin.snapshot().hand_joint_q["right"]
    # the index's intermediate joint mimics its proximal joint 1:1 (facts: MT coupling)
    idx = [i for i, n in enumerate(_sim_names("right")) if n.startswith("R_index")]
    assert joints[idx[0]] == pytest.approx(joints[idx[1]], abs=0.02)


def _sim_names(side: str) -> list[str]:
    from maniptrans_description import inspire

    return list(inspire.sim_joint_names(side))


def test_a_frozen_arm_joint_stays_where_it_was(twin) -> None:
    twin.set_arm_state("right", np.zeros(7))
    twin.set_frozen("right", "arm", 1, True)
    twin.set_arm_target("right", np.deg2rad([20.0, 20.0, 0, 0, 0, 0, 0]))
    run(twin, 0.6)
    q = twin.arm_state("right")[0]
    twin.set_frozen("right", "arm", 1, False)
    assert q[1] == pytest.approx(0.0, abs=1e-3)
    assert q[0] == pytest.approx(np.deg2rad(20.0), abs=np.deg2rad(0.5))


def _index_tip_at_half_closure(side: str) -> np.ndarray:
    probe = MujocoTwin()
    probe.set_arm_state(side, ARM_POSE)
    hand = OPEN.copy()
    hand[3] = 0.9
    adr = probe._hand_qadr[side]
    probe.data.qpos[adr] = hand
    mujoco.mj_forward(probe.model, probe.data)
    prefix = "L" if side == "left" else "R"
    return probe.data.site(f"{prefix}_index_tip").xpos.copy()


def test_a_finger_pressing_an_obstacle_reports_force_and_the_hand_stops_at_force_set() -> None:
    tip = _index_tip_at_half_closure("left")
    twin = MujocoTwin(
        TwinConfig(objects=(ObjectSpec("post", "sphere", (0.012,), pos=tuple(tip), fixed=True),))
    )
    twin.set_arm_state("left", ARM_POSE)
    hand = InspireHandDevice(HandConfig("left"))
    runner = TwinRunner(twin, [hand])
    runner.advance(0.3)
    assert twin.hand_state("left")[1][3] == 0.0  # open: no contact
    hand.write_registers(1498, [200] * 6)  # FORCE_SET 200 gf ~ 2 N
    hand.write_registers(1486, [1000, 1000, 1000, 0, 1000, 1000])  # close the index
    runner.advance(1.5)
    q, force = twin.hand_state("left")
    assert hand.value("STATUS")[3] == 3  # force reached
    assert 0.2 < q[3] < 1.2  # stopped on the obstacle, well short of closed (1.7)
    assert force[3] > 1.0
    assert 150 < hand.value("FORCE_ACT")[3] < 600
    assert np.all(force[[0, 1, 2, 4, 5]] == 0.0)


def test_a_free_object_falls_onto_the_table_and_is_reported_in_world(tmp_path) -> None:
    twin = MujocoTwin(TwinConfig(objects=(ObjectSpec("cube", pos=(0.4, 0.0, 0.2)),)))
    run(twin, 1.0)
    pose = twin.object_poses()["cube"]
    assert pose[2] == pytest.approx(0.03, abs=0.005)  # resting on the table top (z = 0)
    assert np.linalg.norm(pose[3:]) == pytest.approx(1.0)
    assert twin.snapshot().objects["cube"][0] == pytest.approx(0.4, abs=0.01)
