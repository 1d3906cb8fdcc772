"""``maniptrans-export-bag``: a transferred task -> rosbag2 (version 8, mcap or sqlite3).

    maniptrans-export-bag <seq dir | rollouts.hdf5> <out bag dir> [--storage sqlite3]
                          [--rollout K] [--start-ns NS]

Writes ``/sim/<side>/hand/joint_states`` (12 joints, positions and velocities),
``/sim/<side>/wrist_pose`` and ``/sim/objects/<name>/pose`` for every frame, with
``header.stamp`` = bag time = ``start + k / 60 s``. The result plays on a ROS machine with
``ros2 bag play`` and here with ``trajectory_player task:=<bag>``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from maniptrans_bringup.bag_io import open_writer, typestore
from maniptrans_bringup.errors import BringupError


def _header(store, t_ns: int, frame_id: str):
    Time = store.types["builtin_interfaces/msg/Time"]
    Header = store.types["std_msgs/msg/Header"]
    return Header(
        stamp=Time(sec=t_ns // 1_000_000_000, nanosec=t_ns % 1_000_000_000), frame_id=frame_id
    )


def pose_message(store, t_ns: int, pose7: np.ndarray, frame_id: str = "world"):
    """geometry_msgs/PoseStamped from (x, y, z, qx, qy, qz, qw)."""
    T = store.types
    p = [float(v) for v in pose7]
    return T["geometry_msgs/msg/PoseStamped"](
        header=_header(store, t_ns, frame_id),
        pose=T["geometry_msgs/msg/Pose"](
            position=T["geometry_msgs/msg/Point"](x=p[0], y=p[1], z=p[2]),
            orientation=T["geometry_msgs/msg/Quaternion"](x=p[3], y=p[4], z=p[5], w=p[6]),
        ),
    )


def joint_message(store, t_ns: int, names: Sequence[str], q, dq=None):
    """sensor_msgs/JointState with positions [rad] (and velocities [rad/s])."""
    JointState = store.types["sensor_msgs/msg/JointState"]
    return JointState(
        header=_header(store, t_ns, ""),
        name=list(names),
        position=np.asarray(q, dtype=np.float64),
        velocity=np.asarray(dq if dq is not None else [], dtype=np.float64),
        effort=np.zeros(0, dtype=np.float64),
    )


def task_messages(source, start_ns: int) -> Iterator[tuple[str, str, int, object]]:
    """``(topic, msgtype, t_ns, message)`` for every frame of a TaskSource, in time order."""
    from maniptrans_sim.player_source import (
        JOINT_STATE,
        POSE_STAMPED,
        WORLD_FRAME,
        hand_topic,
        object_topic,
        wrist_topic,
    )
    from maniptrans_sim.task_file import FPS

    store = typestore()
    task = source.task
    for k in range(len(source)):
        t_ns = start_ns + round(k * 1e9 / FPS)
        frame = source.frame(k)
        for side in source.sides:
            dq = task.hands[side].dq[k]
            yield (
                hand_topic(side),
                JOINT_STATE,
                t_ns,
                joint_message(store, t_ns, source.joint_names[side], frame.hands[side], dq),
            )
            yield (
                wrist_topic(side),
                POSE_STAMPED,
                t_ns,
                pose_message(store, t_ns, frame.wrists[side], WORLD_FRAME),
            )
        for name, pose in frame.objects.items():
            yield object_topic(name), POSE_STAMPED, t_ns, pose_message(store, t_ns, pose)


def export_task_bag(
    task_path: str | Path,
    out: str | Path,
    *,
    storage: str = "mcap",
    rollout: str | int | None = None,
    start_ns: int | None = None,
) -> dict[str, int]:
    """Write the bag; returns messages per topic."""
    from maniptrans_sim.player_source import TaskSource, load_source

    source = load_source(task_path, rollout)
    if not isinstance(source, TaskSource):
        raise BringupError(f"{task_path}: is a bag already; export takes a transferred task")
    start = int(start_ns if start_ns is not None else time.time_ns() // 1_000_000_000 * 10**9)
    store = typestore()
    writer = open_writer(out, storage)
    counts: dict[str, int] = {}
    try:
        conns = {
            topic: writer.add_connection(topic, msgtype, typestore=store)
            for topic, msgtype in source.topics().items()
        }
        for topic, msgtype, t_ns, msg in task_messages(source, start):
            writer.write(conns[topic], t_ns, store.serialize_cdr(msg, msgtype))
            counts[topic] = counts.get(topic, 0) + 1
    finally:
        writer.close()
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="maniptrans-export-bag",
        description="Turn a transferred task into a rosbag2 of /sim/** topics (version 8).",
    )
    p.add_argument("task", help="sequence folder or its rollouts.hdf5")
    p.add_argument("out", help="bag folder to create")
    p.add_argument("--storage", choices=("mcap", "sqlite3"), default="mcap")
    p.add_argument("--rollout", default=None, help="rollout index or name (default: best)")
    p.add_argument("--start-ns", type=int, default=None, help="time of frame 0 [ns since epoch]")
    a = p.parse_args(argv)
    from maniptrans_sim.task_file import TaskFileError

    try:
        counts = export_task_bag(
            a.task, a.out, storage=a.storage, rollout=a.rollout, start_ns=a.start_ns
        )
    except (BringupError, TaskFileError) as exc:
        print(f"maniptrans-export-bag: {exc}", file=sys.stderr)
        return 2
    for topic, n in sorted(counts.items()):
        print(f"{topic:40s} {n:6d} messages")
    print(f"wrote {a.out} ({a.storage}, rosbag2 version 8)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
