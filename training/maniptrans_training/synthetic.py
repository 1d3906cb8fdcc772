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

from maniptrans_training.demo import SIM_FPS, Demo, DemoObject, HandDemo, Side
from maniptrans_training.errors import TrainingError
from maniptrans_training.rotations import pose_matrix, rot_x
from maniptrans_training.skeleton import HandPose, HandSkeleton, keypoints_world

PALM_POINT = np.array([-0.03, -0.085, 0.0])  # palm contact point in the wrist frame [m]
TABLE_CLEARANCE = 0.01  # lowest hand keypoint above the table top in every frame [m]


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
    p: SceneParams, side: Side, pos: np.ndarray, R: np.ndarray, grip: np.ndarray
) -> np.ndarray:
    """``pos`` raised so that no keypoint comes closer than :data:`TABLE_CLEARANCE` to the table.

    A scripted grasp whose fingers point down can put the fingertips through the table top; a
    human hand cannot be there, and a robot tracking it would be pushed out by the table. The
    whole track moves up by the deficit, so the grasp lands higher on the object instead.
    """
    kp = keypoints_world(p.skeleton, HandPose.from_grip(grip), side, pos, R)
    deficit = p.center[2] + TABLE_CLEARANCE - float(kp[..., 2].min())
    return pos + np.array([0.0, 0.0, max(0.0, deficit)])


def _mesh_box(size: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = trimesh.creation.box(extents=size)
    return np.asarray(m.vertices, float), np.asarray(m.faces, np.int64)


def _mesh_cylinder(radius: float, height: float) -> tuple[np.ndarray, np.ndarray]:
    m = trimesh.creation.cylinder(radius=radius, height=height, sections=16)
    return np.asarray(m.vertices, float), np.asarray(m.faces, np.int64)


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
    p: SceneParams, side: Side, pos: np.ndarray, R: np.ndarray, grip: np.ndarray, obj: int
) -> HandDemo:
    pose = HandPose.from_grip(grip)
    kp = keypoints_world(p.skeleton, pose, side, pos, R)
    return HandDemo(wrist_pos=pos, wrist_rot=R, keypoints=kp, object_index=obj)


def lift_box(p: SceneParams, rng: np.random.Generator) -> Demo:
    n = int(2.5 * p.fps)
    t = np.arange(n) / p.fps
    c = np.asarray(p.center, float)
    size = np.array([0.10, 0.16, 0.10]) * rng.uniform(0.9, 1.1, 3)
    box0 = pose_matrix(np.eye(3), c + np.array([0.0, 0.0, size[2] / 2]))
    approach = 1.0 - smoothstep(t, 0.0, 0.6)
    grip = 0.1 + 0.35 * smoothstep(t, 0.6, 1.0)
    lift = 0.15 * smoothstep(t, 1.0, 2.0)
    hands = {}
    for side, sgn in (("right", -1.0), ("left", 1.0)):
        R = hand_rotation(np.array([1.0, 0.0, -0.2]), np.array([0.0, -sgn, 0.0]))
        contact = box0[:3, 3] + [0.0, sgn * (size[1] / 2 + 0.005), 0.0]
        contact = contact + np.outer(approach, [0.0, sgn * 0.08, 0.0]) + np.outer(lift, [0, 0, 1])
        Rt = np.broadcast_to(R, (n, 3, 3)).copy()
        hands[side] = (
            _clear_of_table(p, side, _wrist_for_contact(contact, R), Rt, grip),
            Rt,
            grip,
        )
    T_r = pose_matrix(hands["right"][1], hands["right"][0])
    box = _carried(T_r, box0, grasp=int(1.0 * p.fps))
    verts, faces = _mesh_box(size)
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
    start = c + np.array([0.0, -0.10 + rng.uniform(-0.02, 0.02), h / 2])
    cyl0 = pose_matrix(np.eye(3), start)
    mid = c + np.array([0.0, 0.0, h / 2 + 0.12])
    end = c + np.array([0.0, 0.10, h / 2])
    # object path (only used to place the hands): pick (0.9 s), carry to mid (0.9-1.6 s),
    # left grasps at 1.9 s, right lets go at 2.1 s, left sets it down (2.2-2.9 s)
    to_mid = smoothstep(t, 0.9, 1.6)
    to_end = smoothstep(t, 2.2, 2.9)
    obj_path = start + np.outer(to_mid, mid - start) + np.outer(to_end, end - mid)
    hands = {}
    for side, sgn in (("right", -1.0), ("left", 1.0)):
        R = hand_rotation(np.array([1.0, 0.0, -0.3]), np.array([0.0, -sgn, 0.0]))
        gap = np.array([0.0, sgn * (r + 0.005), 0.0])
        if side == "right":
            away = 1.0 - smoothstep(t, 0.0, 0.6) + smoothstep(t, 2.1, 2.7)
            grip = 0.1 + 0.55 * (smoothstep(t, 0.6, 0.9) - smoothstep(t, 2.0, 2.2))
            path = obj_path.copy()
            path[t > 2.1] = obj_path[int(2.1 * p.fps)]
        else:
            away = 1.0 - smoothstep(t, 1.1, 1.7)
            grip = 0.1 + 0.55 * smoothstep(t, 1.6, 1.9)
            path = obj_path.copy()
            path[t < 1.7] = mid
        contact = path + gap + np.outer(away, [0.0, sgn * 0.10, 0.0])
        Rt = np.broadcast_to(R, (n, 3, 3)).copy()
        hands[side] = (
            _clear_of_table(p, side, _wrist_for_contact(contact, R), Rt, grip),
            Rt,
            grip,
        )
    handover_i = int(2.0 * p.fps)
    T_r = pose_matrix(hands["right"][1], hands["right"][0])
    T_l = pose_matrix(hands["left"][1], hands["left"][0])
    cyl = _carried(T_r, cyl0, grasp=int(0.9 * p.fps), release=handover_i)
    cyl[handover_i:] = _carried(T_l[handover_i:], cyl[handover_i - 1], grasp=0)
    verts, faces = _mesh_cylinder(r, h)
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
    bottle0 = pose_matrix(np.eye(3), c + np.array([0.0, -0.12, hb / 2]))
    cup0 = pose_matrix(np.eye(3), c + np.array([0.0, 0.10, hc / 2]))
    grasp_i = int(0.9 * p.fps)
    lift = smoothstep(t, 0.9, 1.4)
    over = smoothstep(t, 1.2, 1.8)
    tilt = np.deg2rad(100.0) * (smoothstep(t, 1.8, 2.4) - smoothstep(t, 2.6, 3.0) * 0.5)
    hands: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for side, sgn, obj0, radius, z_grasp in (
        ("right", -1.0, bottle0, rb, 0.0),
        ("left", 1.0, cup0, rc, 0.0),
    ):
        R0 = hand_rotation(np.array([1.0, 0.0, -0.25]), np.array([0.0, -sgn, 0.0]))
        contact0 = obj0[:3, 3] + [0.0, sgn * (radius + 0.005), z_grasp]
        away = 1.0 - smoothstep(t, 0.0, 0.6)
        grip = 0.1 + 0.6 * smoothstep(t, 0.6, 0.9)
        if side == "right":
            shift = np.outer(lift, [0, 0, 0.10]) + np.outer(over, [0, 0.12, 0.05])
            Rt = rot_x(tilt) @ R0  # tilt about the world x axis, toward the cup (+y)
            pivot = contact0 + shift
        else:
            shift = np.outer(lift, [0, 0, 0.06])
            Rt = np.broadcast_to(R0, (n, 3, 3)).copy()
            pivot = contact0 + shift
        contact = pivot + np.outer(away, [0.0, sgn * 0.10, 0.0])
        hands[side] = (
            _clear_of_table(p, side, _wrist_for_contact(contact, Rt), Rt, grip),
            Rt,
            grip,
        )
    T_r = pose_matrix(hands["right"][1], hands["right"][0])
    T_l = pose_matrix(hands["left"][1], hands["left"][0])
    bottle = _carried(T_r, bottle0, grasp=grasp_i)
    cup = _carried(T_l, cup0, grasp=grasp_i)
    vb, fb = _mesh_cylinder(rb, hb)
    vc, fc = _mesh_cylinder(rc, hc)
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
