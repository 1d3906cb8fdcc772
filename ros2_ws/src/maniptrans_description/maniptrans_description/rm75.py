"""RealMan RM75-B and RM75-6F 7-DoF arms: modified-DH table, limits, mass properties, shapes.

Numbers come from ``shared/facts/realman_rm75.md``: kinematics from Realman's documented
modified-DH (Craig) table (§1), position limits from the same document (±178°, ±130°, ...),
velocity/effort placeholders from Realman's URDFs (§5), link masses/COMs/inertias from the
manufacturer's CAD values (§4, link frame = MDH frame; the base link from rm_models §3b) and
collision boxes from the link-mesh bounding boxes (§3b). The two variants differ only in d7
(0.144 m vs 0.1725 m: the 6F force sensor) and link 7's mass properties and extent.

Frames: link i's frame is MDH frame i; ``flange`` is frame 7 (centre of the tool-flange face,
z out of the flange). Joint i turns about z of frame i; q_URDF = q_DH (all offsets are 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .errors import DescriptionError
from .model import Inertial, Joint, Link, Robot, Shape, vec3
from .sides import Side, check_side
from .transforms import mdh_transform

Variant = Literal["rm75_b", "rm75_6f"]
VARIANTS: tuple[Variant, Variant] = ("rm75_b", "rm75_6f")
N_JOINTS = 7


@dataclass(frozen=True)
class MdhRow:
    """One modified-DH row: T(i-1→i) = RotX(alpha)·TransX(a)·RotZ(q_i + offset)·TransZ(d)."""

    a: float  # a_{i-1} [m]
    alpha: float  # α_{i-1} [rad]
    d: float  # d_i [m]
    offset: float  # θ offset [rad]


@dataclass(frozen=True)
class JointLimits:
    """Per-joint limits, arrays of shape (7,)."""

    lower: np.ndarray  # [rad]
    upper: np.ndarray  # [rad]
    velocity: np.ndarray  # [rad/s] (URDF placeholder, no datasheet value exists)
    effort: np.ndarray  # [N·m] (URDF placeholder)


_D7: dict[str, float] = {"rm75_b": 0.144, "rm75_6f": 0.1725}  # [m]
_ALPHA_DEG = (0.0, -90.0, 90.0, -90.0, 90.0, -90.0, 90.0)
_D = (0.2405, 0.0, 0.256, 0.0, 0.21, 0.0)  # d1..d6 [m]; d7 per variant
_LIMIT_DEG = (178.0, 130.0, 178.0, 135.0, 178.0, 128.0, 360.0)  # symmetric, DOC
_VELOCITY = (3.14,) * 7  # [rad/s]
_EFFORT = (60.0, 60.0, 30.0, 30.0, 10.0, 10.0, 10.0)  # [N·m]

# Base link (rm_models RM75-B): mass [kg], COM [m], COM-frame inertia (ixx ixy ixz iyy iyz izz).
_BASE_INERTIAL = Inertial(
    1.862,
    (0.00049987, 5.2709e-05, 0.060019),
    (0.0017232, -3.1058e-06, -3.7924e-05, 0.0017051, 1.3691e-06, 0.00090158),
)

# Links 1..7 (DOC CAD values): mass [kg], COM [m] and inertia about the frame ORIGIN
# (Lxx Lxy Lxz Lyy Lyz Lzz [kg·m²], tensor elements); converted to the COM by parallel axes.
_LINK_CAD: tuple[tuple[float, Sequence[float], Sequence[float]], ...] = (
    (1.574, (0.000241, -0.013273, -0.009950),
     (2.9207e-03, 1.4703e-05, -4.1310e-06, 2.4769e-03, -2.8462e-05, 1.7279e-03)),
    (1.217, (-0.000357, -0.106798, 0.005329),
     (1.7404e-02, -4.3488e-05, -3.2970e-06, 9.2743e-04, 1.0852e-04, 1.7320e-02)),
    (1.11, (0.000003, -0.010398, -0.011324),
     (2.0990e-03, 2.2920e-06, -4.1810e-06, 1.6412e-03, -9.3542e-05, 1.1826e-03)),
    (0.685, (-0.000005, -0.084658, 0.004747),
     (6.2046e-03, -8.1900e-07, -6.1500e-07, 3.8844e-04, 4.3054e-05, 6.1629e-03)),
    (0.619, (0.000078, -0.012937, -0.008781),
     (7.7861e-04, 2.2610e-06, -9.2100e-07, 5.9017e-04, -3.5324e-05, 4.7386e-04)),
    (0.602, (-0.000014, -0.078524, 0.002819),
     (4.4999e-03, -8.0200e-07, -4.4400e-07, 2.9476e-04, 1.2831e-05, 4.4783e-03)),
)  # fmt: skip
_LINK7_CAD: dict[str, tuple[float, Sequence[float], Sequence[float]]] = {
    "rm75_b": (0.107, (-0.000506, 0.000255, -0.010801),
               (5.0918e-05, -3.1360e-06, -6.9900e-07, 4.7420e-05, 3.8800e-07, 6.0350e-05)),
    "rm75_6f": (0.248, (-0.000426, 0.000237, -0.027223),
                (3.0884e-04, -3.7810e-06, -1.4680e-06, 3.0462e-04, 8.8800e-07, 1.2262e-04)),
}  # fmt: skip

# Link-mesh bounding boxes in the link (MDH) frame: (min xyz, max xyz) [m]; base, links 1..6.
_AABB: tuple[tuple[Sequence[float], Sequence[float]], ...] = (
    ((-0.0593, -0.0550, 0.0000), (0.0550, 0.0550, 0.1385)),
    ((-0.0410, -0.0680, -0.1020), (0.0410, 0.0410, 0.0405)),
    ((-0.0405, -0.1525, -0.0350), (0.0405, 0.0405, 0.0470)),
    ((-0.0350, -0.0670, -0.1035), (0.0350, 0.0350, 0.0340)),
    ((-0.0340, -0.1285, -0.0290), (0.0340, 0.0340, 0.0450)),
    ((-0.0290, -0.0540, -0.0815), (0.0290, 0.0290, 0.0285)),
    ((-0.0286, -0.1150, -0.0285), (0.0286, 0.0285, 0.0400)),
)
_AABB7: dict[str, tuple[Sequence[float], Sequence[float]]] = {
    "rm75_b": ((-0.0290, -0.0367, -0.0290), (0.0390, 0.0366, 0.0000)),
    "rm75_6f": ((-0.0285, -0.0370, -0.0575), (0.0357, 0.0294, 0.0000)),
}

_COLOURS = ((0.25, 0.25, 0.28, 1.0), (0.86, 0.87, 0.9, 1.0), (0.55, 0.62, 0.75, 1.0))


def check_variant(variant: object) -> Variant:
    """``variant`` unchanged if it is a known RM75 model name, else a DescriptionError."""
    if variant not in VARIANTS:
        raise DescriptionError(f"RM75 variant must be one of {list(VARIANTS)}, found {variant!r}")
    return variant  # type: ignore[return-value]


def arm_prefix(side: Side | None) -> str:
    """Name prefix of an arm's joints and links: "left_", "right_" or "" (a standalone arm)."""
    return "" if side is None else f"{check_side(side)}_"


def joint_names(side: Side | None) -> list[str]:
    """``<side>_arm_joint_1`` .. ``_7`` (``arm_joint_1`` .. for ``side=None``, standalone arm)."""
    return [f"{arm_prefix(side)}arm_joint_{i}" for i in range(1, N_JOINTS + 1)]


def mdh_table(variant: Variant) -> tuple[MdhRow, ...]:
    """The 7 modified-DH rows of ``variant`` (a, α, d, offset in [m] and [rad])."""
    d7 = _D7[check_variant(variant)]
    return tuple(
        MdhRow(0.0, float(np.deg2rad(alpha)), d, 0.0)
        for alpha, d in zip(_ALPHA_DEG, (*_D, d7), strict=True)
    )


def joint_limits(variant: Variant) -> JointLimits:
    """Position [rad], velocity [rad/s] and effort [N·m] limits, each of shape (7,)."""
    check_variant(variant)
    upper = np.deg2rad(np.array(_LIMIT_DEG))
    arrays = (-upper, upper, np.array(_VELOCITY), np.array(_EFFORT))
    for a in arrays:
        a.flags.writeable = False
    return JointLimits(*arrays)


def mdh_frames(variant: Variant, q: Sequence[float] | np.ndarray) -> np.ndarray:
    """Frames 1..7 in the base frame at joint angles ``q`` (7,) [rad]: shape (7, 4, 4)."""
    q = _check_q(q)
    frames = np.empty((N_JOINTS, 4, 4))
    T = np.eye(4)
    for i, (row, qi) in enumerate(zip(mdh_table(variant), q, strict=True)):
        T = T @ mdh_transform(row.a, row.alpha, row.d, qi + row.offset)
        frames[i] = T
    return frames


def mdh_fk(variant: Variant, q: Sequence[float] | np.ndarray) -> np.ndarray:
    """4x4 pose of the flange (frame 7) in the arm base frame at ``q`` (7,) [rad]."""
    return mdh_frames(variant, q)[-1]


def link_inertials(variant: Variant) -> tuple[Inertial, ...]:
    """Mass properties of base, link 1..7 (8 entries), inertia about each COM, link frame."""
    cad = (*_LINK_CAD, _LINK7_CAD[check_variant(variant)])
    return (_BASE_INERTIAL, *(_origin_to_com(m, com, L) for m, com, L in cad))


def link_extents(variant: Variant) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Link-mesh bounding boxes (min, max) [m] in each link frame: base, link 1..7."""
    boxes = (*_AABB, _AABB7[check_variant(variant)])
    return tuple((np.array(lo), np.array(hi)) for lo, hi in boxes)


def arm_robot(variant: Variant, side: Side | None = None) -> Robot:
    """The arm as a kinematic tree: links ``<p>arm_base``, ``<p>arm_link_1..7``, ``<p>flange``.

    ``<p>`` is ``arm_prefix(side)``. The flange is a massless frame fixed to link 7 (identity).
    """
    p = arm_prefix(side)
    names = [f"{p}arm_base", *(f"{p}arm_link_{i}" for i in range(1, N_JOINTS + 1))]
    links = [
        Link(name, inertial, (Shape.box_from_aabb(lo, hi, _COLOURS[min(i, 1 + i % 2)]),))
        for i, (name, inertial, (lo, hi)) in enumerate(
            zip(names, link_inertials(variant), link_extents(variant), strict=True)
        )
    ]
    limits = joint_limits(variant)
    joints = []
    for i, (row, jname) in enumerate(zip(mdh_table(variant), joint_names(side), strict=True)):
        origin = mdh_transform(row.a, row.alpha, row.d, row.offset)
        joints.append(
            Joint(
                jname,
                "revolute",
                names[i],
                names[i + 1],
                lower=float(limits.lower[i]),
                upper=float(limits.upper[i]),
                velocity=float(limits.velocity[i]),
                effort=float(limits.effort[i]),
            ).with_origin(origin)
        )
    links.append(Link(f"{p}flange"))
    joints.append(Joint(f"{p}flange_joint", "fixed", names[-1], f"{p}flange"))
    return Robot(variant, names[0], tuple(links), tuple(joints))


def _origin_to_com(mass: float, com: Sequence[float], L: Sequence[float]) -> Inertial:
    """Inertial with the tensor ``L`` about the frame origin moved to the COM (parallel axes)."""
    p = np.asarray(com, dtype=float)
    Lxx, Lxy, Lxz, Lyy, Lyz, Lzz = L
    L_O = np.array([[Lxx, Lxy, Lxz], [Lxy, Lyy, Lyz], [Lxz, Lyz, Lzz]])
    Ic = L_O - mass * (p @ p * np.eye(3) - np.outer(p, p))
    upper = (Ic[0, 0], Ic[0, 1], Ic[0, 2], Ic[1, 1], Ic[1, 2], Ic[2, 2])
    return Inertial(mass, vec3(p), tuple(float(v) for v in upper))  # type: ignore[arg-type]


def _check_q(q: Sequence[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(q, dtype=float)
    if arr.shape != (N_JOINTS,) or not np.all(np.isfinite(arr)):
        raise DescriptionError(f"RM75 joint vector must be 7 finite angles [rad], found {q!r}")
    return arr
