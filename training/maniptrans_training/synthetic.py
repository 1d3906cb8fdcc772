"""Scripted bimanual demos built on :mod:`skeleton` (no human data is available here).

World frame: x forward (away from the demonstrator), y to the demonstrator's left, z up; the
table top is the plane z = ``table_z``. Tasks, each at 60 Hz:

* ``lift_box`` — both palms press the sides of a box and lift it 15 cm.
* ``handover`` — the right hand picks a cylinder up, the left hand takes it over mid-air, the
  right hand lets go and the left one sets it down on the left.
* ``pour`` — the right hand grasps a bottle (cylinder) and tilts it ~100° over a cup that the
  left hand holds up.

Objects move rigidly with the hand holding them (pose = hand pose · grasp offset fixed at the
moment of the grasp), so object motion is consistent with the hands by construction. ``seed``
varies object sizes and placements by a few centimetres.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import trimesh

from maniptrans_training.demo import SIM_FPS, TIP_INDICES, Demo, DemoObject, HandDemo, Side
from maniptrans_training.errors import TrainingError
from maniptrans_training.rotations import pose_matrix, rot_x
from maniptrans_training.skeleton import HandPose, HandSkeleton, keypoints_world

PALM_POINT = np.array([-0.03, -0.085, 0.0])  # palm contact point in the wrist frame [m]
TABLE_CLEARANCE = 0.01  # lowest hand keypoint above the table top in every frame [m]
TIP_GAP = 0.005  # a closed digit's tip keypoint (the bone's end) this far off the surface [m]
OPEN_GRIP = 0.1  # digit closure of the open hand
GRASP_OPPOSE = 0.9  # thumb opposition of a closed grasp [rad] (HandPose.from_grip's default)
OPEN_OPPOSE = 0.3  # ... and of the approaching hand: the thumb out of the object's way [rad]


@dataclass(frozen=True)
class SceneParams:
    """Where a scripted task happens: table height [m], a centre on the table [m], sizes."""

    center: tuple[float, float, float] = (0.0, 0.0, 0.0)  # on the table top, world frame
    skeleton: HandSkeleton = field(default_factory=HandSkeleton)
    fps: float = SIM_FPS


def smoothstep(t: np.ndarray, t0: float, t1: float) -> np.ndarray:
    """0 before ``t0``, 1 after ``t1``, C¹ cubic in between."""
    x = np.clip((t - t0) / (t1 - t0), 0.0, 1.0)
    return x * x * (3 - 2 * x)


def hand_rotation(fingers: np.ndarray, palm: np.ndarray) -> np.ndarray:
    """Wrist frame (3, 3) whose −y points along ``fingers`` and −x along ``palm`` (either side)."""
    y = -np.asarray(fingers, float)
    y /= np.linalg.norm(y)
    x = -np.asarray(palm, float)
    x = x - (x @ y) * y
    x /= np.linalg.norm(x)
    return np.stack([x, y, np.cross(x, y)], axis=1)


def _wrist_for_contact(contact: np.ndarray, R: np.ndarray) -> np.ndarray:
    """Wrist position that puts :data:`PALM_POINT` at ``contact`` (T, 3) with rotation R."""
    return contact - np.einsum("...ij,j->...i", R, PALM_POINT)


def _clear_of_table(
    p: SceneParams, side: Side, pos: np.ndarray, R: np.ndarray, grip: Grip
) -> np.ndarray:
    """``pos`` raised so that no keypoint comes closer than :data:`TABLE_CLEARANCE` to the table.

    A scripted grasp whose fingers point down can put the fingertips through the table top; a
    human hand cannot be there, and a robot tracking it would be pushed out by the table. The
    whole track moves up by the deficit, so the grasp lands higher on the object instead.
    """
    kp = keypoints_world(p.skeleton, grip.pose(), side, pos, R)
    deficit = p.center[2] + TABLE_CLEARANCE - float(kp[..., 2].min())
    return pos + np.array([0.0, 0.0, max(0.0, deficit)])


@dataclass(frozen=True)
class Shape:
    """An object's primitive in its own frame: a box (full extents) or a z-axis cylinder."""

    kind: str  # "box" | "cylinder"
    dims: tuple[float, ...]  # box: (x, y, z) extents; cylinder: (radius, height) [m]

    def mesh(self) -> tuple[np.ndarray, np.ndarray]:
        if self.kind == "box":
            m = trimesh.creation.box(extents=self.dims)
        else:
            m = trimesh.creation.cylinder(radius=self.dims[0], height=self.dims[1], sections=16)
        return np.asarray(m.vertices, float), np.asarray(m.faces, np.int64)

    def signed_distance(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) points in the object frame -> (...) distance to the surface [m] (< 0
        inside)."""
        if self.kind == "box":
            q = np.abs(points) - np.asarray(self.dims) / 2
        else:
            r, h = self.dims
            radial = np.linalg.norm(points[..., :2], axis=-1) - r
            q = np.stack([radial, np.abs(points[..., 2]) - h / 2], axis=-1)
        outside = np.linalg.norm(np.maximum(q, 0.0), axis=-1)
        return outside + np.minimum(q.max(axis=-1), 0.0)


def touching_grips(
    p: SceneParams, side: Side, T_hand: np.ndarray, T_obj: np.ndarray, shape: Shape
) -> np.ndarray:
    """(5,) closure per digit (thumb, index..pinky) that brings each tip to :data:`TIP_GAP` off
    the object's surface, the hand at ``T_hand`` and the object at ``T_obj`` (4x4, world).

    Each digit closes from open until its tip first reaches the gap; a digit that never gets
    there (it passes beside the object) closes as far as the closest approach. This is what
    makes a scripted grasp hold: the fingers rest on the object as a human's would, rather
    than hovering centimetres away from it.
    """
    g = np.linspace(OPEN_GRIP, 1.0, 181)
    pose = HandPose.from_grips(np.repeat(g[:, None], 5, axis=1), GRASP_OPPOSE)
    n = g.size
    R = np.broadcast_to(T_hand[:3, :3], (n, 3, 3))
    pos = np.broadcast_to(T_hand[:3, 3], (n, 3))
    tips = keypoints_world(p.skeleton, pose, side, pos, R)[:, list(TIP_INDICES)]  # (n, 5, 3)
    local = (tips - T_obj[:3, 3]) @ T_obj[:3, :3]
    d = shape.signed_distance(local)  # (n, 5)
    out = np.empty(5)
    for k in range(5):
        hit = np.flatnonzero(d[:, k] <= TIP_GAP)
        out[k] = g[hit[0]] if hit.size else g[int(np.argmin(d[:, k]))]
    return out


@dataclass(frozen=True)
class Grip:
    """A hand's grasp over time: digit closures (T, 5), thumb then index..pinky, in [0, 1],
    and the thumb's opposition (T,) [rad]."""

    closures: np.ndarray
    oppose: np.ndarray

    def pose(self) -> HandPose:
        return HandPose.from_grips(self.closures, self.oppose)


def closing(closure: np.ndarray, target: np.ndarray) -> Grip:
    """The grasp that is open where ``closure`` (T,) is 0 and at ``target`` (5,) where it is 1.

    The thumb swings from out of the way (:data:`OPEN_OPPOSE`) to its opposition with the
    same closure: an approaching hand with its thumb already under the palm knocks a slender
    object over before it reaches it (the robot thumb is bulkier than the skeleton's).
    """
    c = np.asarray(closure, float)
    closures = OPEN_GRIP + c[:, None] * (np.asarray(target, float)[None, :] - OPEN_GRIP)
    return Grip(closures, OPEN_OPPOSE + c * (GRASP_OPPOSE - OPEN_OPPOSE))


def _carried(
    T_hand: np.ndarray, T_obj0: np.ndarray, grasp: int, release: int | None = None
) -> np.ndarray:
    """Object poses (T, 4, 4): still until ``grasp``, rigidly with the hand until ``release``."""
    n = T_hand.shape[0]
    release = n if release is None else release
    off = np.linalg.inv(T_hand[grasp]) @ T_obj0
    out = np.broadcast_to(T_obj0, (n, 4, 4)).copy()
    out[grasp:release] = T_hand[grasp:release] @ off
    if release < n:
        out[release:] = out[release - 1]
    return out


def _hand(
    p: SceneParams, side: Side, pos: np.ndarray, R: np.ndarray, grip: Grip, obj: int
) -> HandDemo:
    kp = keypoints_world(p.skeleton, grip.pose(), side, pos, R)
    return HandDemo(wrist_pos=pos, wrist_rot=R, keypoints=kp, object_index=obj)


def _grasping(
    p: SceneParams,
    side: Side,
    pos: np.ndarray,
    R: np.ndarray,
    closure: np.ndarray,
    grasp: int,
    T_obj: np.ndarray,
    shape: Shape,
) -> tuple[np.ndarray, np.ndarray, Grip]:
    """(wrist positions, rotations, grip over time) of a hand that closes on an object.

    ``closure`` (T,) goes 0 → 1 as the hand closes (and back when it lets go); at frame
    ``grasp`` the hand is at its holding pose and the object at ``T_obj``. The digits close
    until they rest on the surface (:func:`touching_grips`) and the track is kept clear of the
    table (:func:`_clear_of_table`); both depend on each other, hence the few rounds.
    """
    grips = closing(closure, np.full(5, OPEN_GRIP))
    for _ in range(3):
        lifted = _clear_of_table(p, side, pos, R, grips)
        target = touching_grips(p, side, pose_matrix(R[grasp], lifted[grasp]), T_obj, shape)
        grips = closing(closure, target)
    return _clear_of_table(p, side, pos, R, grips), R, grips


def lift_box(p: SceneParams, rng: np.random.Generator) -> Demo:
    n = int(2.5 * p.fps)
    t = np.arange(n) / p.fps
    c = np.asarray(p.center, float)
    size = np.array([0.10, 0.16, 0.10]) * rng.uniform(0.9, 1.1, 3)
    shape = Shape("box", tuple(size))
    box0 = pose_matrix(np.eye(3), c + np.array([0.0, 0.0, size[2] / 2]))
    grasp = int(1.0 * p.fps)
    approach = 1.0 - smoothstep(t, 0.0, 0.6)
    closure = smoothstep(t, 0.6, 1.0)
    lift = 0.15 * smoothstep(t, 1.0, 2.0)
    hands = {}
    for side, sgn in (("right", -1.0), ("left", 1.0)):
        R = hand_rotation(np.array([1.0, 0.0, -0.2]), np.array([0.0, -sgn, 0.0]))
        contact = box0[:3, 3] + [0.0, sgn * (size[1] / 2 + 0.005), 0.0]
        contact = contact + np.outer(approach, [0.0, sgn * 0.08, 0.0]) + np.outer(lift, [0, 0, 1])
        Rt = np.broadcast_to(R, (n, 3, 3)).copy()
        pos = _wrist_for_contact(contact, R)
        hands[side] = _grasping(p, side, pos, Rt, closure, grasp, box0, shape)
    T_r = pose_matrix(hands["right"][1], hands["right"][0])
    box = _carried(T_r, box0, grasp=grasp)
    verts, faces = shape.mesh()
    objects = (DemoObject("box", box, verts, faces),)
    return Demo(
        "lift_box",
        p.fps,
        {s: _hand(p, s, *hands[s], obj=0) for s in ("right", "left")},
        objects,
        {"primitive": "lift", "interaction_mode": "bimanual"},
    )


def handover(p: SceneParams, rng: np.random.Generator) -> Demo:
    n = int(3.0 * p.fps)
    t = np.arange(n) / p.fps
    c = np.asarray(p.center, float)
    r, h = 0.03 * rng.uniform(0.9, 1.1), 0.12 * rng.uniform(0.9, 1.1)
    shape = Shape("cylinder", (r, h))
    start = c + np.array([0.0, -0.10 + rng.uniform(-0.02, 0.02), h / 2])
    cyl0 = pose_matrix(np.eye(3), start)
    mid = c + np.array([0.0, 0.0, h / 2 + 0.12])
    end = c + np.array([0.0, 0.10, h / 2])
    # object path (only used to place the hands): pick (0.9 s), carry to mid (0.9-1.6 s),
    # left grasps at 1.9 s, right lets go at 2.1 s, left sets it down (2.2-2.9 s)
    to_mid = smoothstep(t, 0.9, 1.6)
    to_end = smoothstep(t, 2.2, 2.9)
    obj_path = start + np.outer(to_mid, mid - start) + np.outer(to_end, end - mid)
    pick_i, handover_i = int(0.9 * p.fps), int(2.0 * p.fps)
    hands = {}
    cyl = None
    for side, sgn in (("right", -1.0), ("left", 1.0)):
        R = hand_rotation(np.array([1.0, 0.0, -0.3]), np.array([0.0, -sgn, 0.0]))
        gap = np.array([0.0, sgn * (r + 0.005), 0.0])
        if side == "right":
            away = 1.0 - smoothstep(t, 0.0, 0.6) + smoothstep(t, 2.1, 2.7)
            closure = smoothstep(t, 0.6, 0.9) - smoothstep(t, 2.0, 2.2)
            path = obj_path.copy()
            path[t > 2.1] = obj_path[int(2.1 * p.fps)]
            grasp, T_obj = pick_i, cyl0
        else:
            away = 1.0 - smoothstep(t, 1.1, 1.7)
            closure = smoothstep(t, 1.6, 1.9)
            path = obj_path.copy()
            path[t < 1.7] = mid
            assert cyl is not None  # the right hand, done first, carries it there
            grasp, T_obj = handover_i, cyl[handover_i - 1]
        contact = path + gap + np.outer(away, [0.0, sgn * 0.10, 0.0])
        Rt = np.broadcast_to(R, (n, 3, 3)).copy()
        pos = _wrist_for_contact(contact, R)
        hands[side] = _grasping(p, side, pos, Rt, closure, grasp, T_obj, shape)
        if side == "right":
            T_r = pose_matrix(hands["right"][1], hands["right"][0])
            cyl = _carried(T_r, cyl0, grasp=pick_i, release=handover_i)
    assert cyl is not None
    T_l = pose_matrix(hands["left"][1], hands["left"][0])
    cyl[handover_i:] = _carried(T_l[handover_i:], cyl[handover_i - 1], grasp=0)
    verts, faces = shape.mesh()
    return Demo(
        "handover",
        p.fps,
        {s: _hand(p, s, *hands[s], obj=0) for s in ("right", "left")},
        (DemoObject("cylinder", cyl, verts, faces),),
        {"primitive": "handover", "interaction_mode": "bimanual"},
    )


def pour(p: SceneParams, rng: np.random.Generator) -> Demo:
    n = int(3.0 * p.fps)
    t = np.arange(n) / p.fps
    c = np.asarray(p.center, float)
    rb, hb = 0.03 * rng.uniform(0.9, 1.1), 0.16 * rng.uniform(0.9, 1.1)
    rc, hc = 0.035 * rng.uniform(0.9, 1.1), 0.08 * rng.uniform(0.9, 1.1)
    bottle_shape, cup_shape = Shape("cylinder", (rb, hb)), Shape("cylinder", (rc, hc))
    bottle0 = pose_matrix(np.eye(3), c + np.array([0.0, -0.12, hb / 2]))
    cup0 = pose_matrix(np.eye(3), c + np.array([0.0, 0.10, hc / 2]))
    grasp_i = int(0.9 * p.fps)
    lift = smoothstep(t, 0.9, 1.4)
    over = smoothstep(t, 1.2, 1.8)
    tilt = np.deg2rad(100.0) * (smoothstep(t, 1.8, 2.4) - smoothstep(t, 2.6, 3.0) * 0.5)
    closure = smoothstep(t, 0.6, 0.9)
    hands: dict[str, tuple[np.ndarray, np.ndarray, Grip]] = {}
    for side, sgn, obj0, shape, z_grasp in (
        ("right", -1.0, bottle0, bottle_shape, 0.0),
        ("left", 1.0, cup0, cup_shape, 0.0),
    ):
        radius = shape.dims[0]
        R0 = hand_rotation(np.array([1.0, 0.0, -0.25]), np.array([0.0, -sgn, 0.0]))
        contact0 = obj0[:3, 3] + [0.0, sgn * (radius + 0.005), z_grasp]
        away = 1.0 - smoothstep(t, 0.0, 0.6)
        if side == "right":
            shift = np.outer(lift, [0, 0, 0.10]) + np.outer(over, [0, 0.12, 0.05])
            Rt = rot_x(tilt) @ R0  # tilt about the world x axis, toward the cup (+y)
            pivot = contact0 + shift
        else:
            shift = np.outer(lift, [0, 0, 0.06])
            Rt = np.broadcast_to(R0, (n, 3, 3)).copy()
            pivot = contact0 + shift
        contact = pivot + np.outer(away, [0.0, sgn * 0.10, 0.0])
        pos = _wrist_for_contact(contact, Rt)
        hands[side] = _grasping(p, side, pos, Rt, closure, grasp_i, obj0, shape)
    T_r = pose_matrix(hands["right"][1], hands["right"][0])
    T_l = pose_matrix(hands["left"][1], hands["left"][0])
    bottle = _carried(T_r, bottle0, grasp=grasp_i)
    cup = _carried(T_l, cup0, grasp=grasp_i)
    vb, fb = bottle_shape.mesh()
    vc, fc = cup_shape.mesh()
    return Demo(
        "pour",
        p.fps,
        {
            "right": _hand(p, "right", *hands["right"], obj=0),
            "left": _hand(p, "left", *hands["left"], obj=1),
        },
        (DemoObject("bottle", bottle, vb, fb), DemoObject("cup", cup, vc, fc)),
        {"primitive": "pour", "interaction_mode": "bimanual"},
    )


TASKS: dict[str, Callable[[SceneParams, np.random.Generator], Demo]] = {
    "lift_box": lift_box,
    "handover": handover,
    "pour": pour,
}


def make_demo(task: str, seed: int = 0, params: SceneParams | None = None) -> Demo:
    """One scripted bimanual demo; ``task`` is one of :data:`TASKS`."""
    if task not in TASKS:
        raise TrainingError(f"make_demo: unknown task {task!r}; choose one of {sorted(TASKS)}")
    return TASKS[task](params or SceneParams(), np.random.default_rng(seed))
