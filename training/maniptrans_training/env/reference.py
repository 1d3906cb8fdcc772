"""Reference trajectories the environment tracks: the demo plus its kinematic retarget.

Per hand: the retargeted wrist pose and joints (what the sim hand should do), all 18 retargeted
link origins (targets of the body observations and rewards), and the human keypoints mapped to
robot links (what the metrics compare against). Velocities are finite differences at 60 Hz;
angular velocities are world-frame, from consecutive rotations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from maniptrans_training.demo import Demo, Side
from maniptrans_training.errors import TrainingError
from maniptrans_training.retarget import KEYPOINT_TO_LINK, TIP_KEYPOINTS, HandRetarget
from maniptrans_training.rotations import matrix_to_axis_angle
from maniptrans_training.sim_hand import HandKinematics


def finite_velocity(x: np.ndarray, dt: float) -> np.ndarray:
    """(T, ...) -> (T, ...) central differences (one-sided at the ends)."""
    if x.shape[0] < 2:
        return np.zeros_like(x)
    return np.gradient(x, dt, axis=0)


def angular_velocity(R: np.ndarray, dt: float) -> np.ndarray:
    """(T, 3, 3) -> (T, 3) world-frame angular velocity [rad/s]."""
    w = np.zeros((R.shape[0], 3))
    if R.shape[0] < 2:
        return w
    step = matrix_to_axis_angle(R[1:] @ np.swapaxes(R[:-1], 1, 2)) / dt
    w[:-1] = step
    w[-1] = step[-1]
    return w


@dataclass(frozen=True)
class HandReference:
    """One hand's reference, T frames. Link order = ``HandKinematics(side).link_names``."""

    side: Side
    wrist_pos: np.ndarray  # (T, 3)
    wrist_rot: np.ndarray  # (T, 3, 3)
    wrist_vel: np.ndarray  # (T, 3)
    wrist_angvel: np.ndarray  # (T, 3)
    q: np.ndarray  # (T, 12)
    dq: np.ndarray  # (T, 12)
    bodies: np.ndarray  # (T, 18, 3) retargeted link origins
    body_vel: np.ndarray  # (T, 18, 3)
    human_points: np.ndarray  # (T, K, 3) human keypoints with a robot counterpart
    human_links: np.ndarray  # (K,) link index of each human point
    human_tips: np.ndarray  # (T, 5, 3)
    object_index: int


@dataclass(frozen=True)
class ObjectReference:
    name: str
    pose: np.ndarray  # (T, 4, 4)
    vel: np.ndarray  # (T, 3)
    angvel: np.ndarray  # (T, 3)
    vertices: np.ndarray  # (V, 3) mesh in the object frame [m]
    faces: np.ndarray  # (F, 3)


@dataclass(frozen=True)
class Reference:
    """Everything an episode tracks, at ``fps`` [Hz]."""

    name: str
    fps: float
    hands: dict[Side, HandReference]
    objects: tuple[ObjectReference, ...]

    @property
    def num_frames(self) -> int:
        return next(iter(self.hands.values())).q.shape[0]

    @property
    def sides(self) -> tuple[Side, ...]:
        return tuple(s for s in ("right", "left") if s in self.hands)


def build_reference(demo: Demo, retargets: dict[Side, HandRetarget]) -> Reference:
    """Combine a (60 Hz) demo with its kinematic retarget."""
    if set(retargets) != set(demo.sides):
        raise TrainingError(
            f"build_reference: retargets for {sorted(retargets)}, demo has {list(demo.sides)}"
        )
    dt = 1.0 / demo.fps
    hands = {}
    for side in demo.sides:
        r = retargets[side]
        kin = HandKinematics(side)
        prefix = kin.link_names[0].split("_", 1)[0]
        kp = list(KEYPOINT_TO_LINK)
        links = np.array([kin.link_index(f"{prefix}_{KEYPOINT_TO_LINK[k]}") for k in kp])
        human = np.asarray(demo.hands[side].keypoints)[:, kp]
        hands[side] = HandReference(
            side=side,
            wrist_pos=r.wrist_pos,
            wrist_rot=r.wrist_rot,
            wrist_vel=finite_velocity(r.wrist_pos, dt),
            wrist_angvel=angular_velocity(r.wrist_rot, dt),
            q=r.q,
            dq=finite_velocity(r.q, dt),
            bodies=r.bodies,
            body_vel=finite_velocity(r.bodies, dt),
            human_points=human,
            human_links=links,
            human_tips=np.asarray(demo.hands[side].keypoints)[:, list(TIP_KEYPOINTS)],
            object_index=demo.hands[side].object_index,
        )
    objects = tuple(
        ObjectReference(
            o.name,
            o.poses,
            finite_velocity(o.poses[:, :3, 3], dt),
            angular_velocity(o.poses[:, :3, :3], dt),
            o.vertices,
            o.faces,
        )
        for o in demo.objects
    )
    return Reference(demo.name, demo.fps, hands, objects)
