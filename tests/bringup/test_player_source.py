"""Player sources: tasks and bags load, validate, and refuse bad input naming file and key."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from task_factory import write_task

from maniptrans_bringup.export_bag import export_task_bag
from maniptrans_sim.player_readiness import ReadinessTracker
from maniptrans_sim.player_source import (
    BagSource,
    PlayerSourceError,
    TaskSource,
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
