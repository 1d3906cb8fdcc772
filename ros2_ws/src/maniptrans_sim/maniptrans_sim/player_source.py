"""What the trajectory player plays: a transferred task (DexManipNet layout) or a rosbag2.

Pure module (numpy, h5py, rosbags; no rclpy). Both sources are validated completely when they
are loaded (shapes, finiteness, unit quaternions, joint order), so a bad file is refused before
the first frame with an error that names the file and the key or topic.

Topics (the contract)::

    /sim/<side>/hand/joint_states   sensor_msgs/msg/JointState   12 sim-hand joints [rad]
    /sim/<side>/wrist_pose          geometry_msgs/msg/PoseStamped hand base in the sim world
    /sim/objects/<name>/pose        geometry_msgs/msg/PoseStamped manipulated object
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from maniptrans_sim.task_file import (
    FPS,
    ROLLOUTS_FILE,
    SUFFIX,
    TaskFileError,
    TransferredTask,
    load_task,
)

JOINT_STATE = "sensor_msgs/msg/JointState"
POSE_STAMPED = "geometry_msgs/msg/PoseStamped"
WORLD_FRAME = "world"
SIDES = ("left", "right")
_QUAT_TOL = 1e-2


class PlayerSourceError(TaskFileError):
    """A task or bag cannot be played; the message names the file and the key or topic."""


def hand_topic(side: str) -> str:
    return f"/sim/{side}/hand/joint_states"


def wrist_topic(side: str) -> str:
    return f"/sim/{side}/wrist_pose"


def object_topic(name: str) -> str:
    return f"/sim/objects/{name}/pose"


_OBJECT_RE = re.compile(r"^/sim/objects/([A-Za-z0-9_]+)/pose$")


def sim_joint_names(side: str) -> list[str]:
    """The 12 sim-hand joints in the facts order (from the description package)."""
    from maniptrans_description.inspire import sim_joint_names as names

    return list(names(side))  # type: ignore[arg-type]


def object_name(oid: Any, side: str) -> str:
    """A topic-safe object name from a ``seq_info`` object id (``object_<rh|lh>`` if none)."""
    if oid is None or (isinstance(oid, str) and not oid.strip()):
        return f"object_{SUFFIX[side]}"
    text = re.sub(r"[^A-Za-z0-9_]", "_", str(oid).strip())
    return text if text[0].isalpha() else f"object_{text}"


@dataclass(frozen=True)
class TaskFrame:
    """Everything published for one frame of a transferred task.

    Attributes:
        hands: side -> (12,) joint positions [rad], facts order.
        wrists: side -> (7,) hand-base pose: position [m], quaternion x y z w (sim world).
        objects: object name -> (7,) pose, same layout.
    """

    hands: dict[str, np.ndarray]
    wrists: dict[str, np.ndarray]
    objects: dict[str, np.ndarray]


def _smoothstep(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3.0 - 2.0 * x)


def blend_pose(a: np.ndarray, b: np.ndarray, s: float) -> np.ndarray:
    """(7,) pose (position, quaternion x y z w) a fraction ``s`` of the way from ``a`` to
    ``b``: position interpolated, orientation slerped along the shorter arc."""
    qa, qb = np.asarray(a[3:], float), np.asarray(b[3:], float)
    if qa @ qb < 0:
        qb = -qb
    angle = math.acos(min(1.0, float(qa @ qb)))
    if angle < 1e-9:
        q = qa
    else:
        q = (math.sin((1 - s) * angle) * qa + math.sin(s * angle) * qb) / math.sin(angle)
    q = q / np.linalg.norm(q)
    return np.concatenate([(1 - s) * np.asarray(a[:3], float) + s * np.asarray(b[:3], float), q])


class TaskSource:
    """A transferred task as 60 Hz frames."""

    kind = "task"

    def __init__(self, task: TransferredTask, path: str = "") -> None:
        self.task = task
        self.path = path
        self.sides = [s for s in SIDES if s in task.hands]
        self.joint_names = {s: sim_joint_names(s) for s in self.sides}
        self.task_frames = task.num_frames
        self.times = np.arange(task.num_frames, dtype=float) / FPS
        # one object per distinct id (a bimanual task usually moves one object with both hands)
        self.objects: dict[str, str] = {}
        for side in sorted(self.sides, key=lambda s: s != "right"):
            name = object_name(getattr(task.info, f"oid_{SUFFIX[side]}"), side)
            self.objects.setdefault(name, side)

    def __len__(self) -> int:
        return int(self.times.size)

    def describe(self) -> str:
        t, n = self.task, self.task_frames
        back = len(self) - n
        extra = f" + {back} frames back to the start ({back / FPS:.2f} s)" if back else ""
        return (
            f"{t.name} {t.rollout}: {n} frames ({n / FPS:.2f} s at {FPS:g} Hz){extra}, "
            f"hands {self.sides}, objects {sorted(self.objects)}"
        )

    def add_loop_return(self, seconds: float) -> int:
        """Append frames that take the task from its last frame back to its first over
        ``seconds`` [s] of data time, for a looped replay: without them the next pass starts
        with a jump that the arms cross at their speed limit, with no acceleration phase.

        The blend follows a smoothstep in time (zero speed at both ends): joints, positions and
        object poses interpolated, orientations slerped. Returns the number of frames added (0
        for ``seconds`` <= 0 or a single-frame task).
        """
        if not np.isfinite(seconds):
            raise PlayerSourceError(f"loop return: expected finite seconds, found {seconds}")
        n = self.task_frames
        added = round(seconds * FPS) if n > 1 and seconds > 0 else 0
        self.times = np.arange(n + added, dtype=float) / FPS
        return added

    def frame(self, k: int) -> TaskFrame:
        n = self.task_frames
        if k < n:
            return self._task_frame(k)
        added = self.times.size - n
        s = _smoothstep((k - n + 1) / (added + 1))
        a, b = self._task_frame(n - 1), self._task_frame(0)
        return TaskFrame(
            hands={side: (1 - s) * a.hands[side] + s * b.hands[side] for side in a.hands},
            wrists={side: blend_pose(a.wrists[side], b.wrists[side], s) for side in a.wrists},
            objects={name: blend_pose(a.objects[name], b.objects[name], s) for name in a.objects},
        )

    def topics(self) -> dict[str, str]:
        out = {hand_topic(s): JOINT_STATE for s in self.sides}
        out.update({wrist_topic(s): POSE_STAMPED for s in self.sides})
        out.update({object_topic(n): POSE_STAMPED for n in self.objects})
        return out

    def _task_frame(self, k: int) -> TaskFrame:
        hands = self.task.hands
        return TaskFrame(
            hands={s: np.asarray(hands[s].q[k], dtype=float) for s in self.sides},
            wrists={s: np.asarray(hands[s].state[k, :7], dtype=float) for s in self.sides},
            objects={
                n: np.asarray(hands[s].state_manip_obj[k, :7], dtype=float)
                for n, s in self.objects.items()
            },
        )

    def wrist_tracks(self) -> dict[str, np.ndarray]:
        """side -> (T, 7) wrist poses (sim world), for the pre-flight reach check."""
        return {s: np.asarray(self.task.hands[s].state[:, :7], dtype=float) for s in self.sides}


@dataclass(frozen=True)
class BagEvent:
    """One recorded message: offset from the first one [s], topic, type, raw CDR bytes."""

    time: float
    topic: str
    msgtype: str
    data: bytes


class BagSource:
    """The ``/sim/**`` messages of a rosbag2, played as recorded (raw CDR, not re-encoded)."""

    kind = "bag"

    def __init__(self, path: str, events: list[BagEvent], wrists: dict[str, np.ndarray]) -> None:
        self.path = path
        self.events = events
        self.times = np.array([e.time for e in events], dtype=float)
        self._wrists = wrists
        self._topics = {e.topic: e.msgtype for e in events}

    def __len__(self) -> int:
        return len(self.events)

    def describe(self) -> str:
        dur = float(self.times[-1]) if len(self) else 0.0
        return f"bag {self.path}: {len(self)} messages over {dur:.2f} s on {sorted(self._topics)}"

    def topics(self) -> dict[str, str]:
        return dict(self._topics)

    def wrist_tracks(self) -> dict[str, np.ndarray]:
        return dict(self._wrists)


def is_bag(path: str | Path) -> bool:
    """A rosbag2 folder (``metadata.yaml``) or a single ``.mcap`` / ``.db3`` file."""
    p = Path(path)
    return (p.is_dir() and (p / "metadata.yaml").is_file()) or p.suffix in (".mcap", ".db3")


def load_source(path: str | Path, rollout: int | str | None = None) -> TaskSource | BagSource:
    """Load and validate what ``path`` holds (sequence folder, rollouts.hdf5, or a bag)."""
    p = Path(path)
    if not p.exists():
        raise PlayerSourceError(
            f"{p}: no such file or folder (expected a sequence folder, "
            f"its {ROLLOUTS_FILE}, or a rosbag2)"
        )
    if is_bag(p):
        return load_bag(p)
    if isinstance(rollout, str) and rollout.isdigit():
        rollout = int(rollout)
    try:
        task = load_task(p, rollout)
    except PlayerSourceError:
        raise
    except TaskFileError as exc:
        raise PlayerSourceError(str(exc)) from exc
    return TaskSource(task, str(p))


def _typestore():
    from rosbags.typesys import Stores, get_typestore

    return get_typestore(Stores.ROS2_JAZZY)


def _check_pose(where: str, pose: np.ndarray) -> None:
    if not np.all(np.isfinite(pose)):
        raise PlayerSourceError(f"{where}: non-finite pose {pose.tolist()}")
    n = float(np.linalg.norm(pose[3:7]))
    if abs(n - 1.0) > _QUAT_TOL:
        raise PlayerSourceError(f"{where}: orientation must be a unit quaternion, norm {n:.4f}")


def load_bag(path: str | Path) -> BagSource:
    """Read the ``/sim/**`` topics of a rosbag2 and validate every message once.

    Hand joint states must carry the 12 sim-hand joints in the facts order; poses must be
    finite with unit quaternions. Raises :class:`PlayerSourceError` naming file, topic, index.
    """
    from rosbags.rosbag2 import Reader
    from rosbags.rosbag2.errors import ReaderError

    p = Path(path)
    bag_dir = p if p.is_dir() else p.parent
    store = _typestore()
    wanted: dict[str, str] = {}
    for side in SIDES:
        wanted[hand_topic(side)] = JOINT_STATE
        wanted[wrist_topic(side)] = POSE_STAMPED
    events: list[BagEvent] = []
    wrists: dict[str, list[np.ndarray]] = {}
    try:
        with Reader(bag_dir) as reader:
            conns = []
            for c in reader.connections:
                expect = wanted.get(c.topic) or (
                    POSE_STAMPED if _OBJECT_RE.match(c.topic) else None
                )
                if expect is None:
                    continue
                if c.msgtype != expect:
                    raise PlayerSourceError(
                        f"{bag_dir}: topic {c.topic} has type {c.msgtype}, expected {expect}"
                    )
                conns.append(c)
            if not conns:
                raise PlayerSourceError(
                    f"{bag_dir}: no /sim/<side>/hand/joint_states, /sim/<side>/wrist_pose or "
                    "/sim/objects/<name>/pose topics; found "
                    f"{sorted(c.topic for c in reader.connections)}"
                )
            t0: int | None = None
            counts: dict[str, int] = {}
            for conn, t_ns, raw in reader.messages(connections=conns):
                t0 = t_ns if t0 is None else t0
                i = counts.get(conn.topic, 0)
                counts[conn.topic] = i + 1
                where = f"{bag_dir}: topic {conn.topic} message {i}"
                msg = store.deserialize_cdr(bytes(raw), conn.msgtype)
                if conn.msgtype == JOINT_STATE:
                    side = conn.topic.split("/")[2]
                    names = list(msg.name)
                    expected = sim_joint_names(side)
                    if names != expected:
                        raise PlayerSourceError(
                            f"{where}: joint names must be the {len(expected)} sim-hand joints "
                            f"in order {expected}, found {names}"
                        )
                    q = np.asarray(msg.position, dtype=float)
                    if q.shape != (12,) or not np.all(np.isfinite(q)):
                        raise PlayerSourceError(
                            f"{where}: position expected 12 finite values, found {q.tolist()}"
                        )
                else:
                    pp, oo = msg.pose.position, msg.pose.orientation
                    pose = np.array([pp.x, pp.y, pp.z, oo.x, oo.y, oo.z, oo.w], dtype=float)
                    _check_pose(where, pose)
                    if conn.topic.endswith("/wrist_pose"):
                        wrists.setdefault(conn.topic.split("/")[2], []).append(pose)
                events.append(BagEvent((t_ns - t0) * 1e-9, conn.topic, conn.msgtype, bytes(raw)))
    except (ReaderError, OSError) as exc:
        raise PlayerSourceError(f"{bag_dir}: cannot read as rosbag2 ({exc})") from exc
    events.sort(key=lambda e: e.time)
    return BagSource(str(bag_dir), events, {s: np.array(v) for s, v in wrists.items()})


def restamp_cdr(data: bytes | bytearray, sec: int, nanosec: int) -> bytes:
    """Overwrite ``header.stamp`` of a little-endian CDR message whose first field is a Header
    (JointState, PoseStamped, DiagnosticArray) without decoding the rest."""
    buf = bytearray(data)
    if len(buf) < 12 or buf[1] != 1:  # encapsulation: 0x00 0x01 = CDR little endian
        raise PlayerSourceError(f"cannot restamp: not a little-endian CDR message ({buf[:4]!r})")
    buf[4:8] = int(sec).to_bytes(4, "little", signed=True)
    buf[8:12] = int(nanosec).to_bytes(4, "little", signed=False)
    return bytes(buf)


__all__ = [
    "JOINT_STATE",
    "POSE_STAMPED",
    "WORLD_FRAME",
    "BagEvent",
    "BagSource",
    "PlayerSourceError",
    "TaskFrame",
    "TaskSource",
    "blend_pose",
    "hand_topic",
    "is_bag",
    "load_bag",
    "load_source",
    "object_name",
    "object_topic",
    "restamp_cdr",
    "sim_joint_names",
    "wrist_topic",
]
