"""Inspire RH56 hand, left and right: joint tables, names, mimic couplings, actuator mapping.

Two models of the same hand:

- the **sim hand** (ManipTrans): 12 independent revolute joints, names and order of
  ``shared/facts/inspire_hand.md`` (``sim_joint_names``);
- the **real hand**: 6 actuated joints (``driven_joint_names``) and 6 mimic joints
  q_mimic = multiplier · q_leader + offset (``mimic_table``). The multipliers are a parameter,
  ``MimicCoupling`` (published models disagree); the default is ManipTrans's 1.6 / 2.4 / 1.0.

The actuators (controller order little, ring, middle, index, thumb bend, thumb rotation) are
named ``<side>_hand_<key>`` and carry the driven joint's angle in [rad]. The hardware's 0–1000
command is mapped in ``HandCalibration`` (re-exported here from ``hand_calibration``).

The left hand is built from the right-hand table by ``mirror_joint_to_left`` and
``mirror_link_to_left`` (the mirror image through the base x-y plane, z → -z) plus the two
places where the source's left model is not a mirror (``inspire_data.LEFT_OVERRIDES``). Link
frames then equal those of ManipTrans's left URDF. Left mass properties are the mirrored right
ones (the source's separate left CAD export differs by ≤ 0.1 % in mass and < 0.6 mm in COM).

Base frame: origin at the centre of the wrist mounting face, -y from wrist to fingers, the palm
faces -x; the right thumb is on the -z side (left: +z).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from . import inspire_data as data
from .errors import DescriptionError
from .hand_calibration import ActuatorCalibration, HandCalibration
from .model import Inertial, Joint, Link, Mimic, Robot, Shape, vec3
from .sides import SIDES, Side, check_side, hand_prefix
from .transforms import matrix_to_rpy, rot_x, rot_y, rpy_to_matrix

__all__ = [
    "SIDES",
    "ActuatorCalibration",
    "HandCalibration",
    "MimicCoupling",
    "Side",
    "actuator_limits",
    "actuator_names",
    "actuators_to_sim_joints",
    "driven_joint_names",
    "fingertip_frames",
    "hand_robot",
    "joint_table",
    "link_table",
    "mimic_table",
    "mirror_joint_to_left",
    "mirror_link_to_left",
    "sim_joint_limits",
    "sim_joint_names",
    "sim_joints_to_actuators",
]

N_SIM_JOINTS = 12
N_ACTUATORS = 6
PALM_RGBA = (0.22, 0.22, 0.25, 1.0)
FINGER_RGBA = (0.72, 0.72, 0.76, 1.0)
TIP_RGBA = (0.85, 0.2, 0.15, 1.0)


@dataclass(frozen=True)
class MimicCoupling:
    """Multipliers and offsets of the real hand's passive joints: q = m · q_leader + offset.

    Defaults: ManipTrans / Unitree models. dex-urdf uses thumb 1.334 / 0.667 and fingers
    1.06399 · q − 0.04545. Offsets in [rad].
    """

    thumb_intermediate: float = 1.6  # × thumb pitch
    thumb_distal: float = 2.4  # × thumb pitch
    finger_intermediate: float = 1.0  # × finger proximal
    thumb_intermediate_offset: float = 0.0
    thumb_distal_offset: float = 0.0
    finger_intermediate_offset: float = 0.0

    def of(self, key: str) -> tuple[float, float]:
        """(multiplier, offset) of coupling ``key`` (a field name without ``_offset``)."""
        return float(getattr(self, key)), float(getattr(self, f"{key}_offset"))


DEFAULT_COUPLING = MimicCoupling()

# Link frame of the left model relative to the mirror image of the right one (see module doc).
_LEFT_FRAME_FLIP: dict[str, np.ndarray] = {
    "hand_base_link": np.eye(3),
    "thumb_proximal_base": rot_y(np.pi),
}
_DEFAULT_FLIP = rot_x(np.pi)
_MIRROR = np.diag([1.0, 1.0, -1.0])  # reflection through the base x-y plane
_UPPER = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))  # URDF inertia order


def sim_joint_names(side: Side) -> list[str]:
    """The 12 revolute joints, facts (ManipTrans) order: ``R_thumb_proximal_yaw_joint``, ..."""
    p = hand_prefix(side)
    return [f"{p}_{row.name}" for row in data.RIGHT_JOINTS if row.axis is not None]


def sim_joint_limits(side: Side) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) [rad] of the 12 sim joints, each shape (12,)."""
    check_side(side)
    rows = [row for row in data.RIGHT_JOINTS if row.axis is not None]
    return np.array([r.lower for r in rows]), np.array([r.upper for r in rows])


def actuator_names(side: Side) -> list[str]:
    """``<side>_hand_`` + little, ring, middle, index, thumb_bend, thumb_rotation (that order)."""
    side = check_side(side)
    return [f"{side}_hand_{key}" for key, _ in data.ACTUATORS]


def driven_joint_names(side: Side) -> list[str]:
    """The joint each actuator drives, in actuator order (pinky ... thumb yaw)."""
    p = hand_prefix(side)
    return [f"{p}_{joint}" for _, joint in data.ACTUATORS]


def actuator_limits(side: Side) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) [rad] of the six driven joints, actuator order, each shape (6,)."""
    lower, upper = sim_joint_limits(side)
    idx = _driven_indices()
    return lower[idx], upper[idx]


def fingertip_frames(side: Side) -> list[str]:
    """The 5 fingertip frames (thumb, index, middle, ring, pinky), e.g. ``R_thumb_tip``."""
    p = hand_prefix(side)
    return [f"{p}_{tip}" for tip in data.TIP_LINKS]


def mimic_table(side: Side, coupling: MimicCoupling = DEFAULT_COUPLING) -> tuple[Mimic, ...]:
    """The real hand's six mimic joints (joint, leader, multiplier, offset), tree order."""
    p = hand_prefix(side)
    out = []
    for row in data.RIGHT_JOINTS:
        if row.mimic is not None:
            leader, key = row.mimic
            mult, offset = coupling.of(key)
            out.append(Mimic(f"{p}_{row.name}", f"{p}_{leader}", mult, offset))
    return tuple(out)


def actuators_to_sim_joints(
    side: Side, q_act: Sequence[float] | np.ndarray, coupling: MimicCoupling = DEFAULT_COUPLING
) -> np.ndarray:
    """Sim-hand joint angles (..., 12) [rad] from actuator angles (..., 6) [rad], with mimics."""
    check_side(side)
    q_act = np.asarray(q_act, dtype=float)
    if q_act.ndim == 0 or q_act.shape[-1] != N_ACTUATORS:
        raise DescriptionError(
            f"actuator angles must have shape (..., 6) [rad], found shape {q_act.shape}"
        )
    names = [row.name for row in data.RIGHT_JOINTS if row.axis is not None]
    q = np.zeros((*q_act.shape[:-1], N_SIM_JOINTS))
    q[..., _driven_indices()] = q_act
    for row in data.RIGHT_JOINTS:
        if row.mimic is not None:
            leader, key = row.mimic
            mult, offset = coupling.of(key)
            q[..., names.index(row.name)] = mult * q[..., names.index(leader)] + offset
    return q


def sim_joints_to_actuators(side: Side, q: Sequence[float] | np.ndarray) -> np.ndarray:
    """Driven-joint angles (..., 6) [rad], actuator order, picked from sim angles (..., 12)."""
    check_side(side)
    q = np.asarray(q, dtype=float)
    if q.ndim == 0 or q.shape[-1] != N_SIM_JOINTS:
        raise DescriptionError(f"sim joint angles must have shape (..., 12), found {q.shape}")
    return q[..., _driven_indices()]


def joint_table(side: Side, coupling: MimicCoupling | None = None) -> tuple[Joint, ...]:
    """All 17 joints of a hand (12 revolute + 5 fixed tips), facts order, prefixed names.

    With ``coupling`` the six passive joints carry their ``Mimic``; with None (the sim hand) all
    12 revolute joints are independent.
    """
    side = check_side(side)
    p = hand_prefix(side)
    joints = []
    for row in data.RIGHT_JOINTS:
        mimic = None
        if coupling is not None and row.mimic is not None:
            mult, offset = coupling.of(row.mimic[1])
            mimic = Mimic(f"{p}_{row.name}", f"{p}_{row.mimic[0]}", mult, offset)
        joints.append(
            Joint(
                name=row.name,
                type="fixed" if row.axis is None else "revolute",
                parent=row.parent,
                child=row.child,
                xyz=row.xyz,
                rpy=row.rpy,
                axis=row.axis or (0.0, 0.0, 1.0),
                lower=row.lower,
                upper=row.upper,
                velocity=data.VELOCITY if row.axis else 0.0,
                effort=data.EFFORT if row.axis else 0.0,
                mimic=mimic,
            )
        )
    if side == "left":
        joints = [_apply_override(mirror_joint_to_left(j)) for j in joints]
    return tuple(
        replace(j, name=f"{p}_{j.name}", parent=f"{p}_{j.parent}", child=f"{p}_{j.child}")
        for j in joints
    )


def link_table(side: Side) -> tuple[Link, ...]:
    """All 18 links of a hand (13 with mass and a collision box, 5 massless tip frames)."""
    side = check_side(side)
    p = hand_prefix(side)
    links: list[Link] = []
    for row in data.RIGHT_LINKS:
        rgba = PALM_RGBA if row.name == "hand_base_link" else FINGER_RGBA
        inertial = Inertial(row.mass, row.com, row.inertia)
        links.append(
            Link(row.name, inertial, (Shape.box_from_aabb(row.aabb_min, row.aabb_max, rgba),))
        )
    marker = Shape("sphere", (data.TIP_MARKER_RADIUS, 0.0, 0.0), rgba=TIP_RGBA, visual_only=True)
    links.extend(Link(tip, None, (marker,)) for tip in data.TIP_LINKS)
    if side == "left":
        links = [mirror_link_to_left(link) for link in links]
    return tuple(replace(link, name=f"{p}_{link.name}") for link in links)


def hand_robot(side: Side, coupling: MimicCoupling | None = None) -> Robot:
    """The hand as a kinematic tree rooted at ``<P>_hand_base_link``.

    ``coupling=None``: the sim hand (12 independent joints); otherwise the real hand with mimics.
    Besides the 17 table joints it carries the contract frame ``<side>_hand_base`` (identity).
    """
    side = check_side(side)
    p = hand_prefix(side)
    name = f"inspire_hand_{side}" + ("_sim" if coupling is None else "")
    base = f"{p}_hand_base_link"
    frame = Joint(f"{side}_hand_base_joint", "fixed", base, f"{side}_hand_base")
    links = (*link_table(side), Link(f"{side}_hand_base"))
    return Robot(name, base, links, (*joint_table(side, coupling), frame))


def mirror_joint_to_left(joint: Joint) -> Joint:
    """A right-hand joint (unprefixed names) expressed in the left hand's frames.

    The left geometry is the right one reflected through the base x-y plane (M = diag(1, 1, -1)).
    Each left link frame is the reflected right frame turned by a flip F (``_LEFT_FRAME_FLIP``)
    that keeps it right-handed and every joint axis on ±z, as in the source's left model. Origin:
    T' = F_parentᵀ·M·T·M·F_child; axis: a' = −F_childᵀ·M·a (the same positive angle gives the
    mirrored motion). ``LEFT_OVERRIDES`` are applied by ``joint_table``, not here.
    """
    f_parent, f_child = _flip(joint.parent), _flip(joint.child)
    T = joint.origin()
    T_left = np.eye(4)
    T_left[:3, :3] = f_parent.T @ _MIRROR @ T[:3, :3] @ _MIRROR @ f_child
    T_left[:3, 3] = f_parent.T @ _MIRROR @ T[:3, 3]
    axis = -(f_child.T @ _MIRROR @ np.asarray(joint.axis))
    return replace(joint.with_origin(_clean(T_left)), axis=vec3(_clean(axis)))


def mirror_link_to_left(link: Link) -> Link:
    """A right-hand link (unprefixed name) reflected into its left frame: COM, inertia, shapes.

    Link-local points map by S = Fᵀ·M (a signed diagonal), tensors by S·I·Sᵀ.
    """
    S = _flip(link.name).T @ _MIRROR
    inertial = None
    if link.inertial is not None:
        Ic = _clean(S @ link.inertial.tensor() @ S.T)
        inertial = Inertial(
            link.inertial.mass,
            vec3(_clean(S @ np.asarray(link.inertial.com))),
            tuple(float(Ic[i, j]) for i, j in _UPPER),  # type: ignore[arg-type]
        )
    shapes = []
    for shape in link.shapes:  # boxes and spheres are symmetric: reflect the pose only
        R = S @ rpy_to_matrix(shape.rpy) @ S.T
        shapes.append(
            replace(shape, xyz=vec3(_clean(S @ np.asarray(shape.xyz))), rpy=matrix_to_rpy(R))
        )
    return replace(link, inertial=inertial, shapes=tuple(shapes))


def _flip(link: str) -> np.ndarray:
    return _LEFT_FRAME_FLIP.get(link, _DEFAULT_FLIP)


def _clean(a: np.ndarray) -> np.ndarray:
    """Round away the 1e-16 residues of ±1·0 products (keeps generated files readable)."""
    out = np.where(np.abs(a) < 1e-15, 0.0, a)
    return out + 0.0  # turns -0.0 into 0.0


def _apply_override(j: Joint) -> Joint:
    if j.name not in data.LEFT_OVERRIDES:
        return j
    xyz, rpy, axis = data.LEFT_OVERRIDES[j.name]
    return replace(j, xyz=xyz, rpy=rpy, axis=axis)


def _driven_indices() -> list[int]:
    names = [row.name for row in data.RIGHT_JOINTS if row.axis is not None]
    return [names.index(joint) for _, joint in data.ACTUATORS]
