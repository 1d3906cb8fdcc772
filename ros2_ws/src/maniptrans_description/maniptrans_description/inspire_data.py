"""Inspire RH56 parameter tables, right hand (source: ``shared/facts/inspire_hand.md`` §2a, §3a).

Raw numbers only, names without the ``R_``/``L_`` prefix; ``inspire.py`` builds both hands from
them (the left one by mirroring, plus the few measured places where ManipTrans's left model is not
an exact mirror, ``LEFT_OVERRIDES``). SI units: m, rad, kg, kg·m². rpy = URDF convention.
"""

from __future__ import annotations

from typing import NamedTuple

Vec3 = tuple[float, float, float]


class JointRow(NamedTuple):
    """One joint of the right hand as tabulated (limits only for revolute joints)."""

    name: str
    parent: str
    child: str
    xyz: Vec3  # [m]
    rpy: Vec3  # [rad]
    axis: Vec3 | None  # None: fixed joint
    lower: float = 0.0  # [rad]
    upper: float = 0.0  # [rad]
    mimic: tuple[str, str] | None = None  # (leader joint, coupling key of MimicCoupling)


class LinkRow(NamedTuple):
    """One link of the right hand: mass properties (about the COM) and the mesh bounding box."""

    name: str
    mass: float  # [kg]
    com: Vec3  # [m]
    inertia: tuple[float, float, float, float, float, float]  # ixx ixy ixz iyy iyz izz
    aabb_min: Vec3  # [m], link frame
    aabb_max: Vec3  # [m]


EFFORT = 1.0  # [N·m] placeholder of the source URDF (same on every joint)
VELOCITY = 0.5  # [rad/s] placeholder of the source URDF
TIP_MARKER_RADIUS = 0.005  # [m] visual sphere of the massless tip links

Z = (0.0, 0.0, 1.0)
RIGHT_JOINTS: tuple[JointRow, ...] = (
    JointRow("thumb_proximal_yaw_joint", "hand_base_link", "thumb_proximal_base",
             (-0.01696, -0.0691, -0.02045), (1.5708, -1.5708, 0.0), (0.0, 0.0, -1.0), -0.1, 1.3),
    JointRow("thumb_proximal_pitch_joint", "thumb_proximal_base", "thumb_proximal",
             (-0.0088099, 0.010892, -0.00925), (1.5708, 0.0, 2.8587), Z, 0.0, 0.5),
    JointRow("thumb_intermediate_joint", "thumb_proximal", "thumb_intermediate",
             (0.04407, 0.034553, -0.0008), (0.0, 0.0, 0.0), Z, 0.0, 0.8,
             ("thumb_proximal_pitch_joint", "thumb_intermediate")),
    JointRow("thumb_distal_joint", "thumb_intermediate", "thumb_distal",
             (0.020248, 0.010156, -0.0012), (0.0, 0.0, 0.0), Z, 0.0, 1.2,
             ("thumb_proximal_pitch_joint", "thumb_distal")),
    JointRow("thumb_tip_joint", "thumb_distal", "thumb_tip",
             (0.0159104, 0.0156076, -0.00599021), (0.0, 0.0, 0.0), None),
    JointRow("index_proximal_joint", "hand_base_link", "index_proximal",
             (0.00028533, -0.13653, -0.032268), (-3.1067, 0.0, 0.0), Z, 0.0, 1.7),
    JointRow("index_intermediate_joint", "index_proximal", "index_intermediate",
             (-0.0026138, 0.032026, -0.001), (0.0, 0.0, 0.0), Z, 0.0, 1.7,
             ("index_proximal_joint", "finger_intermediate")),
    JointRow("index_tip_joint", "index_intermediate", "index_tip",
             (-0.00412053, 0.0433132, -0.00501047), (0.0, 0.0, 0.0), None),
    JointRow("middle_proximal_joint", "hand_base_link", "middle_proximal",
             (0.00028533, -0.1371, -0.01295), (-3.1416, 0.0, 0.0), Z, 0.0, 1.7),
    JointRow("middle_intermediate_joint", "middle_proximal", "middle_intermediate",
             (-0.0024229, 0.032041, -0.001), (0.0, 0.0, 0.0), Z, 0.0, 1.7,
             ("middle_proximal_joint", "finger_intermediate")),
    JointRow("middle_tip_joint", "middle_intermediate", "middle_tip",
             (-0.00426879, 0.0466043, -0.00498678), (0.0, 0.0, 0.0), None),
    JointRow("ring_proximal_joint", "hand_base_link", "ring_proximal",
             (0.00028533, -0.13691, 0.0062872), (3.0892, 0.0, 0.0), Z, 0.0, 1.7),
    JointRow("ring_intermediate_joint", "ring_proximal", "ring_intermediate",
             (-0.0024229, 0.032041, -0.001), (0.0, 0.0, 0.0), Z, 0.0, 1.7,
             ("ring_proximal_joint", "finger_intermediate")),
    JointRow("ring_tip_joint", "ring_intermediate", "ring_tip",
             (-0.00366554, 0.0433541, -0.00501047), (0.0, 0.0, 0.0), None),
    JointRow("pinky_proximal_joint", "hand_base_link", "pinky_proximal",
             (0.00028533, -0.13571, 0.025488), (3.0369, 0.0, 0.0), Z, 0.0, 1.7),
    JointRow("pinky_intermediate_joint", "pinky_proximal", "pinky_intermediate",
             (-0.0024229, 0.032041, -0.001), (0.0, 0.0, 0.0), Z, 0.0, 1.7,
             ("pinky_proximal_joint", "finger_intermediate")),
    JointRow("pinky_tip_joint", "pinky_intermediate", "pinky_tip",
             (-0.00260734, 0.0362776, -0.00501047), (0.0, 0.0, 0.0), None),
)  # fmt: skip

RIGHT_LINKS: tuple[LinkRow, ...] = (
    LinkRow("hand_base_link", 0.14143, (-0.0025264, -0.066047, 0.0019598),
            (0.00012281, 2.1711e-06, 1.7709e-06, 8.3832e-05, -1.6551e-06, 7.6663e-05),
            (-0.02740, -0.14155, -0.03874), (0.02740, 0.0, 0.04277)),
    LinkRow("thumb_proximal_base", 0.0018869, (-0.0048064, 0.0009382, -0.00757),
            (5.816e-08, 1.4539e-08, 4.491e-09, 7.9161e-08, -1.8727e-09, 6.7433e-08),
            (-0.01501, -0.00868, -0.01425), (0.00613, 0.00854, 0.00259)),
    LinkRow("thumb_proximal", 0.0066075, (0.021932, 0.012785, -0.0080386),
            (1.5686e-06, -7.8296e-07, 8.9143e-10, 1.7353e-06, -1.0191e-09, 2.786e-06),
            (-0.00369, -0.01111, -0.01770), (0.05972, 0.03903, 0.00170)),
    LinkRow("thumb_intermediate", 0.0037847, (0.0095544, -0.0016282, -0.0071997),
            (3.6981e-07, -9.8581e-08, -4.7469e-12, 3.2394e-07, 1.0939e-12, 4.6531e-07),
            (-0.01224, -0.01689, -0.01530), (0.02552, 0.01376, 0.00090)),
    LinkRow("thumb_distal", 0.0033441, (0.0092888, 0.0049529, -0.0060033),
            (1.3632e-07, -5.6788e-08, -9.2764e-11, 1.4052e-07, -1.2283e-10, 2.0026e-07),
            (-0.00505, -0.00878, -0.01336), (0.02227, 0.01561, 0.00135)),
    LinkRow("index_proximal", 0.0042403, (0.0012259, 0.011942, -0.0060001),
            (6.6232e-07, -1.5775e-08, 1.8515e-12, 2.1146e-07, -5.0828e-12, 6.9398e-07),
            (-0.01012, -0.00956, -0.01315), (0.01121, 0.03562, 0.00115)),
    LinkRow("index_intermediate", 0.0045683, (0.0019697, 0.019589, -0.005),
            (7.6111e-07, 8.7637e-08, -3.7751e-13, 9.6076e-08, 9.9444e-13, 7.8179e-07),
            (-0.00586, -0.00788, -0.01130), (0.01095, 0.04525, 0.00130)),
    LinkRow("middle_proximal", 0.0042403, (0.001297, 0.011934, -0.0060001),
            (6.6211e-07, -1.8461e-08, 1.8002e-12, 2.1167e-07, -6.6808e-12, 6.9397e-07),
            (-0.01009, -0.00956, -0.01315), (0.01121, 0.03564, 0.00115)),
    LinkRow("middle_intermediate", 0.0050396, (0.001921, 0.020796, -0.005),
            (9.5822e-07, 1.1425e-07, -2.4791e-12, 1.0646e-07, 5.9173e-12, 9.8384e-07),
            (-0.00608, -0.00781, -0.01129), (0.01090, 0.04868, 0.00129)),
    LinkRow("ring_proximal", 0.0042403, (0.001297, 0.011934, -0.0060002),
            (6.6211e-07, -1.8461e-08, 1.5793e-12, 2.1167e-07, -6.6868e-12, 6.9397e-07),
            (-0.01009, -0.00956, -0.01315), (0.01121, 0.03564, 0.00115)),
    LinkRow("ring_intermediate", 0.0045683, (0.0021753, 0.019567, -0.005),
            (7.6286e-07, 8.0635e-08, -6.1562e-13, 9.431e-08, 5.8619e-13, 7.8177e-07),
            (-0.00547, -0.00793, -0.01130), (0.01098, 0.04525, 0.00130)),
    LinkRow("pinky_proximal", 0.0042403, (0.001297, 0.011934, -0.0060001),
            (6.6211e-07, -1.8461e-08, 1.6907e-12, 2.1167e-07, -6.9334e-12, 6.9397e-07),
            (-0.01009, -0.00956, -0.01315), (0.01121, 0.03564, 0.00115)),
    LinkRow("pinky_intermediate", 0.0035996, (0.0024748, 0.016203, -0.0050031),
            (4.3913e-07, 4.1418e-08, 3.7168e-11, 7.0247e-08, 5.8613e-11, 4.4867e-07),
            (-0.00456, -0.00777, -0.01133), (0.01079, 0.03747, 0.00133)),
)  # fmt: skip

TIP_LINKS = ("thumb_tip", "index_tip", "middle_tip", "ring_tip", "pinky_tip")

# Where ManipTrans's left hand is NOT the mirror image of the right (facts §6): the thumb pitch
# joint sits elsewhere and is tilted 9.7° instead of 16.2°, and the index intermediate joint uses
# the middle/ring/pinky offset. Values in the left model's own frames: (xyz, rpy, axis).
LEFT_OVERRIDES: dict[str, tuple[Vec3, Vec3, Vec3]] = {
    "thumb_proximal_pitch_joint": (
        (0.0099867, 0.0098242, -0.0089), (-1.5708, 0.0, 0.16939), (0.0, 0.0, -1.0)
    ),
    "index_intermediate_joint": (
        (-0.0024229, -0.032041, -0.001), (0.0, 0.0, 0.0), (0.0, 0.0, -1.0)
    ),
}  # fmt: skip

# The real hand's six actuators, in the controller's order, and the joint each one drives.
ACTUATORS: tuple[tuple[str, str], ...] = (
    ("little", "pinky_proximal_joint"),
    ("ring", "ring_proximal_joint"),
    ("middle", "middle_proximal_joint"),
    ("index", "index_proximal_joint"),
    ("thumb_bend", "thumb_proximal_pitch_joint"),
    ("thumb_rotation", "thumb_proximal_yaw_joint"),
)
