"""The transferred task's object is placed in the twin at its first pose in the rig's world."""

from __future__ import annotations

import numpy as np
import pytest

from maniptrans_sim.mock.task_object import task_objects
from maniptrans_sim.mock.twin import MujocoTwin, TwinConfig
from maniptrans_sim.task_file import HandTrack, SeqInfo, TransferredTask, save_task


def _task(tmp_path, obj_pos_sim) -> str:
    T = 4
    state = np.zeros((T, 13))
    state[:, 6] = 1.0  # identity quaternion (x y z w)
    obj = state.copy()
    obj[:, :3] = obj_pos_sim
    hand = HandTrack(
        q=np.zeros((T, 12)),
        dq=np.zeros((T, 12)),
        state=state,
        state_manip_obj=obj,
        tip_force=np.zeros((T, 15)),
    )
    task = TransferredTask(
        name="cube_rh",
        info=SeqInfo(seq_len=T, type="rh"),
        hands={"right": hand},
        reward=np.zeros(T),
        actions=np.zeros((T, 18)),
    )
    return str(save_task(task, tmp_path / "cube_rh"))


def test_task_object_is_placed_through_the_rig_calibration_and_rests_on_the_table(
    tmp_path,
) -> None:
    from maniptrans_description.rig import RigCalibration

    path = _task(tmp_path, [0.05, -0.1, 0.1])
    (spec,) = task_objects(path, half_extent=0.02)
    T = np.asarray(RigCalibration.load(None).T_world_sim)
    expected = T[:3, :3] @ np.array([0.05, -0.1, 0.1]) + T[:3, 3]
    np.testing.assert_allclose(spec.pos, expected, atol=1e-9)
    assert spec.shape == "box" and spec.size == (0.02, 0.02, 0.02)  # no mesh file: a stand-in
    twin = MujocoTwin(TwinConfig(objects=(spec,)))
    for _ in range(300):
        twin.step(2)
    pose = twin.object_poses()[spec.name]
    assert pose[2] == pytest.approx(0.02, abs=0.004)  # fell onto the table top (z = 0)
    assert pose[:2] == pytest.approx(expected[:2], abs=0.01)


def test_the_twins_object_has_the_players_name_so_their_poses_pair_up(tmp_path) -> None:
    from dataclasses import replace

    from maniptrans_sim.player_source import load_source
    from maniptrans_sim.task_file import load_task

    path = _task(tmp_path, [0.05, -0.1, 0.1])
    task = load_task(path)
    save_task(replace(task, info=replace(task.info, oid_rh="box")), tmp_path / "cube_rh")
    (spec,) = task_objects(path)
    assert spec.name == "box"
    assert set(load_source(path).objects) == {spec.name}
