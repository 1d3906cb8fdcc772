"""Player sources: tasks and bags load, validate, and refuse bad input naming file and key."""

from __future__ import annotations

import math

import h5py
import numpy as np
import pytest
from task_factory import task_ending_far_from_its_start, write_task

from maniptrans_bringup.export_bag import export_task_bag
from maniptrans_sim.player_readiness import ReadinessTracker
from maniptrans_sim.player_source import (
    BagSource,
    PlayerSourceError,
    TaskSource,
    blend_pose,
    load_source,
    object_name,
    restamp_cdr,
    sim_joint_names,
)


def test_task_source_publishes_both_hands_wrists_and_one_shared_object(tmp_path):
    src = load_source(write_task(tmp_path, 30))
    assert isinstance(src, TaskSource)
    assert len(src) == 30
    assert np.allclose(np.diff(src.times), 1 / 60)
    assert set(src.topics()) == {
        "/sim/left/hand/joint_states",
        "/sim/right/hand/joint_states",
        "/sim/left/wrist_pose",
        "/sim/right/wrist_pose",
        "/sim/objects/box/pose",
    }
    f = src.frame(7)
    assert np.array_equal(f.hands["left"], src.task.hands["left"].q[7])
    assert np.array_equal(f.wrists["right"], src.task.hands["right"].state[7, :7])


def test_a_looped_task_goes_back_to_its_first_frame_without_a_jump():
    src = TaskSource(task_ending_far_from_its_start())
    n = len(src)
    assert src.add_loop_return(1.0) == 60 and len(src) == n + 60
    assert np.allclose(np.diff(src.times), 1 / 60)
    assert "+ 60 frames back to the start (1.00 s)" in src.describe()
    path = [src.frame(k) for k in range(n - 1, len(src))] + [src.frame(0)]
    for side in src.sides:
        for key, parts in (("hands", slice(None)), ("wrists", slice(0, 3))):
            x = np.array([getattr(f, key)[side][parts] for f in path])
            jump = np.abs(x[-1] - x[0]).max()
            steps = np.abs(np.diff(x, axis=0)).max(axis=1)
            assert jump > 0.005, (side, key)  # the jump a bare loop makes
            # a smoothstep over 61 steps: at most 1.5x the mean step, almost still at both ends
            assert steps.max() <= 1.5 * jump / 61 * 1.01, (side, key)
            assert max(steps[0], steps[-1]) < 0.05 * steps.max(), (side, key)
        quats = np.array([f.wrists[side][3:] for f in path])
        assert np.allclose(np.linalg.norm(quats, axis=1), 1.0)
    assert src.add_loop_return(0.0) == 0 and len(src) == n


def test_pose_blend_slerps_along_the_shorter_arc():
    def about_z(angle: float) -> np.ndarray:
        return np.array([0, 0, math.sin(angle / 2), math.cos(angle / 2)])

    a = np.concatenate([[0.0, 0.0, 0.0], about_z(0.0)])
    b = np.concatenate([[1.0, 2.0, 0.0], -about_z(math.pi / 2)])  # the same rotation, negated
    mid = blend_pose(a, b, 0.5)
    assert np.allclose(mid[:3], [0.5, 1.0, 0.0])
    assert np.allclose(mid[3:], about_z(math.pi / 4))
    assert np.allclose(blend_pose(a, b, 0.0), a)
    assert np.allclose(np.abs(blend_pose(a, b, 1.0)[3:] @ b[3:]), 1.0)


def test_object_names_are_topic_safe():
    assert object_name("mug 01", "right") == "mug_01"
    assert object_name(None, "left") == "object_lh"
    assert object_name(7, "right") == "object_7"


def test_a_non_finite_joint_is_refused_naming_file_and_key(tmp_path):
    seq = write_task(tmp_path, 20)
    with h5py.File(seq / "rollouts.hdf5", "r+") as h5:
        ds = h5["rollouts/successful/rollout_0/q_lh"]
        q = ds[()]
        q[5, 3] = np.nan
        ds[...] = q
    with pytest.raises(PlayerSourceError, match=r"rollouts\.hdf5.*q_lh.*non-finite"):
        load_source(seq)


def test_a_missing_path_is_refused():
    with pytest.raises(PlayerSourceError, match="no such file"):
        load_source("/nonexistent/seq_bih")


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_exported_bag_plays_back_with_the_same_values_and_60hz_timing(tmp_path, storage):
    seq = write_task(tmp_path, 40)
    export_task_bag(seq, tmp_path / "bag", storage=storage, start_ns=1_700_000_000 * 10**9)
    bag = load_source(tmp_path / "bag")
    assert isinstance(bag, BagSource)
    assert len(bag) == 40 * 5
    hand = [e for e in bag.events if e.topic == "/sim/right/hand/joint_states"]
    assert np.allclose(np.diff([e.time for e in hand]), 1 / 60, atol=1e-9)
    from rosbags.typesys import Stores, get_typestore

    store = get_typestore(Stores.ROS2_JAZZY)
    msg = store.deserialize_cdr(hand[9].data, hand[9].msgtype)
    task = load_source(seq).task
    assert list(msg.name) == sim_joint_names("right")
    assert np.allclose(msg.position, task.hands["right"].q[9])
    stamp_ns = msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec
    assert stamp_ns == 1_700_000_000 * 10**9 + round(9 * 1e9 / 60)
    assert np.allclose(bag.wrist_tracks()["left"], task.hands["left"].state[:, :7])


def test_a_bag_with_joint_states_in_the_wrong_order_is_refused(tmp_path):
    from maniptrans_bringup.bag_io import open_writer, typestore
    from maniptrans_bringup.export_bag import joint_message

    store = typestore()
    w = open_writer(tmp_path / "bad", "mcap")
    c = w.add_connection(
        "/sim/left/hand/joint_states", "sensor_msgs/msg/JointState", typestore=store
    )
    names = sim_joint_names("left")[::-1]
    w.write(
        c,
        1,
        store.serialize_cdr(
            joint_message(store, 1, names, np.zeros(12)), "sensor_msgs/msg/JointState"
        ),
    )
    w.close()
    with pytest.raises(PlayerSourceError, match=r"/sim/left/hand/joint_states message 0.*order"):
        load_source(tmp_path / "bad")


def test_restamping_changes_only_the_stamp(tmp_path):
    from maniptrans_bringup.bag_io import typestore
    from maniptrans_bringup.export_bag import pose_message

    store = typestore()
    raw = store.serialize_cdr(
        pose_message(store, 10**9, np.array([1, 2, 3, 0, 0, 0, 1.0])),
        "geometry_msgs/msg/PoseStamped",
    )
    out = store.deserialize_cdr(restamp_cdr(raw, 42, 7), "geometry_msgs/msg/PoseStamped")
    assert (out.header.stamp.sec, out.header.stamp.nanosec) == (42, 7)
    assert out.pose.position.z == 3.0
    assert out.header.frame_id == "world"


def test_readiness_needs_every_source_ready_and_fresh():
    r = ReadinessTracker(["left_inspire_driver", "right_inspire_driver"], stale_s=2.0)
    assert not r.all_ready(0.0)
    r.update("left_inspire_driver: device", "", "true", 0.0)
    assert r.not_ready(0.0) == ["right_inspire_driver"]
    r.update("hand", "right_inspire_driver", "True", 0.5)
    assert r.all_ready(1.0)
    assert not r.all_ready(2.5)  # left report is stale
    r.update("left_inspire_driver", "", "false", 2.6)
    r.update("right_inspire_driver", "", "true", 2.6)
    assert r.not_ready(2.7) == ["left_inspire_driver"]
    assert ReadinessTracker([]).all_ready(0.0)
