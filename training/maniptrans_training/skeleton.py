"""A parametric human-hand skeleton of our own (not MANO): joint angles -> 21 keypoints.

Geometry is expressed in the wrist frame of :mod:`maniptrans_training.demo` (−y toward the
fingers, palm facing −x, right thumb on −z). The right hand is computed; the left hand is its
mirror image through the local x-y plane (one code path, ``side`` parameter).

Fingers (index..pinky) are planar 3-link chains (MCP, PIP, DIP flexion, plus an MCP abduction);
flexing moves the tip toward the palm (−x). The thumb has a carpometacarpal "opposition" turn
about the wrist y axis (swinging it under the palm) and three flexions (CMC, MCP, IP) about one
axis. The default sizes are those of a small human hand (≈ the Inspire hand, so a kinematic
retarget target stays reachable); ``scale`` grows or shrinks the whole hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from maniptrans_training.demo import Side
from maniptrans_training.errors import TrainingError
from maniptrans_training.rotations import reflection


def _axis_angle(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """(...,) angles about a fixed unit axis (3,) -> (..., 3, 3) (Rodrigues)."""
    a = axis / np.linalg.norm(axis)
    K = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    s = np.sin(angle)[..., None, None]
    c = np.cos(angle)[..., None, None]
    return np.eye(3) + s * K + (1 - c) * (K @ K)


@dataclass(frozen=True)
class HandSkeleton:
    """Sizes of the skeleton [m], right hand, wrist frame. Index order: index, middle, ring, pinky.

    Attributes:
        mcp: (4, 3) MCP joint positions [m].
        phalanges: (4, 3) proximal, middle, distal phalanx lengths [m].
        splay: (4,) rest spread of each finger about the wrist x axis [rad].
        thumb_cmc: (3,) thumb carpometacarpal joint [m].
        thumb_dir: (3,) rest direction of the thumb metacarpal (normalised on use).
        thumb_flex_axis: (3,) flexion axis of the thumb (orthogonalised to thumb_dir on use).
        thumb_lengths: (3,) metacarpal, proximal, distal lengths [m].
        scale: uniform scale factor applied to every length and position.
    """

    mcp: tuple[tuple[float, float, float], ...] = (
        (0.0, -0.137, -0.032),
        (0.0, -0.137, -0.013),
        (0.0, -0.137, 0.006),
        (0.0, -0.136, 0.025),
    )
    phalanges: tuple[tuple[float, float, float], ...] = (
        (0.032, 0.024, 0.020),
        (0.032, 0.026, 0.021),
        (0.032, 0.024, 0.020),
        (0.032, 0.020, 0.017),
    )
    splay: tuple[float, ...] = (0.035, 0.0, -0.052, -0.105)
    thumb_cmc: tuple[float, float, float] = (-0.022, -0.062, -0.026)
    thumb_dir: tuple[float, float, float] = (-0.2, -0.6, -0.77)
    thumb_flex_axis: tuple[float, float, float] = (-0.96, 0.0, 0.28)
    thumb_lengths: tuple[float, float, float] = (0.054, 0.024, 0.024)
    scale: float = 1.0

    def __post_init__(self) -> None:
        if not self.scale > 0:
            raise TrainingError(f"HandSkeleton: scale must be > 0, found {self.scale}")
        for name, shape in (("mcp", (4, 3)), ("phalanges", (4, 3)), ("splay", (4,))):
            if np.shape(getattr(self, name)) != shape:
                raise TrainingError(
                    f"HandSkeleton: '{name}' expected shape {shape}, "
                    f"found {np.shape(getattr(self, name))}"
                )


@dataclass(frozen=True)
class HandPose:
    """Joint angles [rad], each (T,) or broadcastable; arrays of 4 are index..pinky.

    Attributes:
        flex: (T, 4, 3) MCP, PIP, DIP flexion of each finger (0 = straight).
        abduct: (T, 4) extra MCP spread about the wrist x axis.
        thumb_oppose: (T,) CMC turn about the wrist y axis (0 = thumb out to the side).
        thumb_flex: (T, 3) CMC, MCP, IP flexion of the thumb.
    """

    flex: np.ndarray
    abduct: np.ndarray
    thumb_oppose: np.ndarray
    thumb_flex: np.ndarray

    @staticmethod
    def from_grip(grip: np.ndarray, oppose: np.ndarray | float = 0.9) -> HandPose:
        """A one-parameter grasp: ``grip`` (T,) in [0, 1] from open to a closed power grasp."""
        g = np.asarray(grip, dtype=float)
        return HandPose.from_grips(np.repeat(g[:, None], 5, axis=1), oppose)

    @staticmethod
    def from_grips(grips: np.ndarray, oppose: np.ndarray | float = 0.9) -> HandPose:
        """A grasp with one closure per digit: ``grips`` (T, 5) in [0, 1], thumb then
        index..pinky, each from open to closed (the shape of :meth:`from_grip`)."""
        g = np.clip(np.asarray(grips, dtype=float), 0.0, 1.0)
        if g.ndim != 2 or g.shape[1] != 5:
            raise TrainingError(f"HandPose.from_grips: expected (T, 5) grips, found {g.shape}")
        T = g.shape[0]
        per_joint = np.array([1.25, 1.15, 0.7])  # MCP, PIP, DIP at a full grip [rad]
        flex = 0.08 + g[:, 1:, None] * per_joint[None, None, :]
        thumb = 0.05 + g[:, :1] * np.array([0.35, 0.5, 0.6])[None, :]
        opp = np.broadcast_to(np.asarray(oppose, dtype=float), (T,)).copy()
        return HandPose(flex, np.zeros((T, 4)), opp, thumb)


def keypoints_local(skel: HandSkeleton, pose: HandPose, side: Side) -> np.ndarray:
    """(T, 21, 3) keypoints [m] in the wrist frame of ``side``, ``demo.KEYPOINT_NAMES`` order."""
    flex = np.asarray(pose.flex, dtype=float)
    T = flex.shape[0]
    s = skel.scale
    kp = np.zeros((T, 21, 3))
    down = np.array([0.0, -1.0, 0.0])
    # fingers: frame = spread about x, then successive flexions about −z (tip toward −x)
    for f in range(4):
        spread = _axis_angle(np.array([1.0, 0, 0]), skel.splay[f] + pose.abduct[:, f])  # (T,3,3)
        R = spread
        p = np.broadcast_to(np.asarray(skel.mcp[f]) * s, (T, 3)).copy()
        base = 5 + 4 * f
        kp[:, base] = p
        for j in range(3):
            R = R @ _axis_angle(np.array([0, 0, -1.0]), flex[:, f, j])
            p = p + (R @ down) * skel.phalanges[f][j] * s
            kp[:, base + 1 + j] = p
    # thumb: opposition about the wrist y axis at the CMC, then planar flexion
    d = np.asarray(skel.thumb_dir, dtype=float)
    d /= np.linalg.norm(d)
    a = np.asarray(skel.thumb_flex_axis, dtype=float)
    a = a - (a @ d) * d
    a /= np.linalg.norm(a)
    R_opp = _axis_angle(np.array([0, 1.0, 0]), np.asarray(pose.thumb_oppose, dtype=float))
    p = np.broadcast_to(np.asarray(skel.thumb_cmc) * s, (T, 3)).copy()
    kp[:, 1] = p
    R = R_opp
    for j in range(3):
        R = R @ _axis_angle(a, np.asarray(pose.thumb_flex, dtype=float)[:, j])
        p = p + (R @ d) * skel.thumb_lengths[j] * s
        kp[:, 2 + j] = p
    if side == "left":
        kp = kp @ reflection(2)
    elif side != "right":
        raise TrainingError(f"keypoints_local: side must be 'left' or 'right', found {side!r}")
    return kp


def keypoints_world(
    skel: HandSkeleton,
    pose: HandPose,
    side: Side,
    wrist_pos: np.ndarray,
    wrist_rot: np.ndarray,
) -> np.ndarray:
    """(T, 21, 3) keypoints in the world: wrist_rot (T, 3, 3) · local + wrist_pos (T, 3)."""
    local = keypoints_local(skel, pose, side)
    return np.einsum("tij,tkj->tki", wrist_rot, local) + wrist_pos[:, None, :]
