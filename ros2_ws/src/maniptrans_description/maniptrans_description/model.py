"""A small kinematic-tree description (links, joints, inertials, primitive shapes).

The parameter tables (``rm75``, ``inspire``) are turned into these objects, and the URDF and MJCF
writers only read them, so both formats come from one source. Frames follow URDF: a joint's
origin places the child link frame in the parent link frame; a revolute joint turns the child about
``axis`` (child frame). Lengths in [m], angles in [rad], masses in [kg], inertias in [kg·m²].
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from .errors import DescriptionError
from .transforms import make_transform, matrix_to_rpy

Vec3 = tuple[float, float, float]
JointType = Literal["revolute", "fixed"]


def vec3(values: Iterable[float]) -> Vec3:
    """A 3-tuple of floats (raises DescriptionError on a wrong length)."""
    out = tuple(float(v) for v in values)
    if len(out) != 3:
        raise DescriptionError(f"expected 3 numbers, found {len(out)}: {out}")
    return out  # type: ignore[return-value]


@dataclass(frozen=True)
class Inertial:
    """Mass properties of a link, about its centre of mass, in the link frame.

    ``inertia`` = (ixx, ixy, ixz, iyy, iyz, izz) [kg·m²] of the COM-frame tensor (URDF order).
    """

    mass: float  # [kg]
    com: Vec3  # [m], link frame
    inertia: tuple[float, float, float, float, float, float]  # [kg·m²] about the COM

    def tensor(self) -> np.ndarray:
        """The 3x3 inertia tensor [kg·m²] about the COM."""
        ixx, ixy, ixz, iyy, iyz, izz = self.inertia
        return np.array([[ixx, ixy, ixz], [ixy, iyy, iyz], [ixz, iyz, izz]])


@dataclass(frozen=True)
class Shape:
    """A primitive in the link frame, used for both collision and the picture.

    ``kind`` "box": ``size`` = full edge lengths (x, y, z) [m]; "sphere": ``size[0]`` = radius.
    ``visual_only`` shapes (fingertip markers) are drawn but never collide.
    """

    kind: Literal["box", "sphere"]
    size: Vec3  # [m]
    xyz: Vec3 = (0.0, 0.0, 0.0)  # shape centre [m]
    rpy: Vec3 = (0.0, 0.0, 0.0)  # [rad]
    rgba: tuple[float, float, float, float] = (0.7, 0.7, 0.7, 1.0)
    visual_only: bool = False

    @staticmethod
    def box_from_aabb(
        lo: Sequence[float], hi: Sequence[float], rgba: tuple[float, float, float, float]
    ) -> Shape:
        """The box that fills the axis-aligned bounding box ``lo``..``hi`` [m] (link frame)."""
        lo_a, hi_a = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
        if np.any(hi_a <= lo_a):
            raise DescriptionError(f"bounding box max {tuple(hi_a)} must exceed min {tuple(lo_a)}")
        return Shape("box", vec3(hi_a - lo_a), vec3((hi_a + lo_a) / 2.0), rgba=rgba)


@dataclass(frozen=True)
class Mimic:
    """q_joint = multiplier · q_leader + offset [rad] (URDF ``<mimic>``)."""

    joint: str
    leader: str
    multiplier: float
    offset: float = 0.0  # [rad]


@dataclass(frozen=True)
class Link:
    """A rigid body: optional mass properties and primitive shapes (link frame)."""

    name: str
    inertial: Inertial | None = None
    shapes: tuple[Shape, ...] = ()

    @property
    def is_frame(self) -> bool:
        """True for a massless, shapeless link: a pure coordinate frame."""
        return self.inertial is None and not self.shapes


@dataclass(frozen=True)
class Joint:
    """A joint placing ``child`` in ``parent`` at (``xyz``, ``rpy``); revolute about ``axis``.

    Limits are in [rad], ``velocity`` in [rad/s], ``effort`` in [N·m]; unused for fixed joints.
    """

    name: str
    type: JointType
    parent: str
    child: str
    xyz: Vec3 = (0.0, 0.0, 0.0)  # [m]
    rpy: Vec3 = (0.0, 0.0, 0.0)  # [rad]
    axis: Vec3 = (0.0, 0.0, 1.0)
    lower: float = 0.0  # [rad]
    upper: float = 0.0  # [rad]
    velocity: float = 0.0  # [rad/s]
    effort: float = 0.0  # [N·m]
    mimic: Mimic | None = None

    def origin(self) -> np.ndarray:
        """4x4 transform of the child frame in the parent frame at q = 0."""
        return make_transform(self.xyz, self.rpy)

    def with_origin(self, T: np.ndarray) -> Joint:
        """A copy whose origin is the 4x4 transform ``T``."""
        return replace(self, xyz=vec3(T[:3, 3]), rpy=vec3(matrix_to_rpy(T[:3, :3])))


@dataclass(frozen=True)
class Robot:
    """A kinematic tree. Every joint's parent is attached by an earlier joint (or is ``root``)."""

    name: str
    root: str
    links: tuple[Link, ...]
    joints: tuple[Joint, ...]
    _by_link: dict[str, Link] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_link = {link.name: link for link in self.links}
        if len(by_link) != len(self.links):
            raise DescriptionError(f"robot {self.name!r}: duplicate link names")
        names = [j.name for j in self.joints]
        if len(set(names)) != len(names):
            raise DescriptionError(f"robot {self.name!r}: duplicate joint names")
        if self.root not in by_link:
            raise DescriptionError(f"robot {self.name!r}: root link {self.root!r} not in links")
        seen = {self.root}
        for joint in self.joints:
            if joint.parent not in seen:
                raise DescriptionError(
                    f"robot {self.name!r}: joint {joint.name!r} has parent {joint.parent!r}, "
                    "which is not attached yet (list a parent's joint before its children's)"
                )
            if joint.child not in by_link or joint.child in seen:
                raise DescriptionError(
                    f"robot {self.name!r}: joint {joint.name!r} child {joint.child!r} is unknown "
                    "or already attached"
                )
            seen.add(joint.child)
        if seen != set(by_link):
            raise DescriptionError(
                f"robot {self.name!r}: links not attached to the tree: "
                f"{sorted(set(by_link) - seen)}"
            )
        object.__setattr__(self, "_by_link", by_link)

    def link(self, name: str) -> Link:
        """The link called ``name`` (raises DescriptionError listing the valid names)."""
        try:
            return self._by_link[name]
        except KeyError:
            raise DescriptionError(
                f"robot {self.name!r} has no link {name!r}; links: {sorted(self._by_link)}"
            ) from None

    def children(self, link: str) -> Iterator[Joint]:
        """Joints whose parent is ``link``, in tree order."""
        return (j for j in self.joints if j.parent == link)

    def movable_joints(self) -> tuple[Joint, ...]:
        """The revolute joints, in tree order."""
        return tuple(j for j in self.joints if j.type != "fixed")


def attach(parent: Robot, parent_link: str, child: Robot, joint_name: str, T: np.ndarray) -> Robot:
    """``parent`` with ``child``'s root fixed to ``parent_link`` at transform ``T`` (4x4)."""
    parent.link(parent_link)  # validates the name
    mount = Joint(joint_name, "fixed", parent_link, child.root).with_origin(np.asarray(T))
    return Robot(
        name=parent.name,
        root=parent.root,
        links=parent.links + child.links,
        joints=(*parent.joints, mount, *child.joints),
    )


def forward_kinematics(robot: Robot, q: Mapping[str, float]) -> dict[str, np.ndarray]:
    """Pose (4x4) of every link in the root frame, by chaining the tables (numpy, no Pinocchio).

    ``q`` maps revolute joint names to angles [rad]; a missing joint is 0, except a mimic joint,
    which follows its leader. Unknown names raise DescriptionError.
    """
    movable = {j.name: j for j in robot.movable_joints()}
    unknown = set(q) - set(movable)
    if unknown:
        raise DescriptionError(f"robot {robot.name!r} has no revolute joints {sorted(unknown)}")
    poses = {robot.root: np.eye(4)}
    for joint in robot.joints:
        T = poses[joint.parent] @ joint.origin()
        if joint.type != "fixed":
            angle = q.get(joint.name)
            if angle is None:
                m = joint.mimic
                angle = 0.0 if m is None else m.multiplier * q.get(m.leader, 0.0) + m.offset
            R = np.eye(4)
            R[:3, :3] = axis_angle_matrix(joint.axis, float(angle))
            T = T @ R
        poses[joint.child] = T
    return poses


def axis_angle_matrix(axis: Sequence[float], angle: float) -> np.ndarray:
    """3x3 rotation by ``angle`` [rad] about unit-normalised ``axis`` (Rodrigues)."""
    a = np.asarray(axis, dtype=float)
    a = a / np.linalg.norm(a)
    K = np.array([[0.0, -a[2], a[1]], [a[2], 0.0, -a[0]], [-a[1], a[0], 0.0]])
    return np.eye(3) + np.sin(angle) * K + (1.0 - np.cos(angle)) * (K @ K)
