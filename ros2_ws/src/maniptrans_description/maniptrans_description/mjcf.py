"""MJCF models for MuJoCo: names, actuators and gains (the twin and training build on these).

Every model: ``<compiler angle="radian">``, ``implicitfast`` integrator, timestep
``MjcfOptions.timestep`` (2 ms). Bodies are named after the URDF links, hinge joints after the
URDF joints; massless frames are sites of the same name. Geoms of one robot never collide with
each other; they collide with anything else (floor, table, objects with MuJoCo's default
contype = conaffinity = 1) and, in the rig, the left robot with the right one.

``rm75_b`` / ``rm75_6f`` (fixed base at the world origin)
    bodies ``arm_base``, ``arm_link_1..7``; joints ``arm_joint_1..7``; site ``flange``;
    position actuators ``arm_joint_1..7`` (ctrl = joint angle [rad]).

``inspire_hand_{left,right}`` (real hand, base fixed at the world origin)
    body ``<P>_hand_base_link`` (P = L/R) and the finger bodies; 12 hinges with the facts' names;
    the 6 passive ones follow their leaders by equalities ``<joint>_mimic``
    (polycoef = offset, multiplier); position actuators ``<side>_hand_little``, ``_ring``,
    ``_middle``, ``_index``, ``_thumb_bend``, ``_thumb_rotation`` on the driven joints
    (ctrl = driven-joint angle [rad], ``inspire.actuator_limits``); sites ``<side>_hand_base``
    and fingertips ``<P>_thumb_tip``, ``<P>_index_tip``, ... (``inspire.fingertip_frames``).

``inspire_hand_{left,right}_sim`` (ManipTrans sim hand, floating)
    free joint ``<P>_wrist_free_joint`` on ``<P>_hand_base_link`` (qpos = position [m] and
    quaternion w x y z of the hand base in the world); every body has ``gravcomp="1"`` (the
    paper's floating hand ignores gravity); 12 independent hinges, each driven by a position
    actuator of the same name; wrist actuators ``<side>_wrist_force_{x,y,z}`` [N] and
    ``<side>_wrist_torque_{x,y,z}`` [N·m], world axes (``refsite="world"``), applied at the site
    ``<side>_hand_base`` with viscous damping (the paper's linear/angular damping rate 20 s⁻¹
    times the hand's mass / mean inertia); fingertip sites as above.

``bimanual_rig``
    world sites ``world`` (origin) and ``sim_world`` (``T_world_sim``); table and floor geoms;
    per side: bodies ``<side>_arm_base``, ``<side>_arm_link_1..7``, joints and position
    actuators ``<side>_arm_joint_1..7``, sites ``<side>_flange`` and ``<side>_hand_base``, then
    the real hand exactly as in ``inspire_hand_<side>`` (joints, equalities, actuators, sites).

Arm servos are stiff position loops (kp up to 3·10⁴ N·m/rad, critically damped, torque-limited
to the URDF efforts) on joints with reflected rotor inertia (armature), so a pose holds under
gravity to well under 1 mm at the flange without gravity compensation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import rm75
from .builders import build
from .inspire import (
    DEFAULT_COUPLING,
    MimicCoupling,
    actuator_limits,
    actuator_names,
    driven_joint_names,
    sim_joint_limits,
    sim_joint_names,
)
from .mjcf_writer import Bits, MjcfSpec, PositionServo, WrenchActuator, to_mjcf
from .model import Joint, Link, forward_kinematics
from .paths import check_model_name
from .rig import RigCalibration
from .sides import SIDES, Side, hand_prefix


@dataclass(frozen=True)
class MjcfOptions:
    """Simulation parameters of the generated MJCF (SI units)."""

    timestep: float = 0.002  # [s]
    arm_kp: tuple[float, ...] = (30000.0, 30000.0, 15000.0, 15000.0, 5000.0, 5000.0, 2000.0)
    arm_armature: tuple[float, ...] = (0.5, 0.5, 0.25, 0.25, 0.1, 0.1, 0.05)  # [kg·m²]
    arm_damping: float = 1.0  # [N·m·s/rad] passive joint damping
    finger_kp: float = 5.0  # [N·m/rad]
    finger_force: float = 1.0  # [N·m] actuator torque limit (≈10 N at the fingertip)
    finger_armature: float = 1e-3  # [kg·m²] on driven / sim-actuated joints
    passive_armature: float = 1e-4  # [kg·m²] on the real hand's mimic joints
    finger_damping: float = 0.01  # [N·m·s/rad]
    wrist_damping_rate: float = 20.0  # [1/s] (paper: linear and angular damping 20)
    wrist_force: float = 10.0  # [N] ctrl limit (covers the paper's a·dt·500 N, dt = 1/60 s)
    wrist_torque: float = 0.5  # [N·m] ctrl limit (covers a·dt·20 N·m)


DEFAULT_OPTIONS = MjcfOptions()
ROBOT_BITS: Bits = (2, 1)  # a standalone robot: no self-collision, collides with the world
RIG_BITS: dict[Side, Bits] = {"left": (2, 5), "right": (4, 3)}  # left-right contacts kept


def mjcf_text(
    name: str,
    rig: RigCalibration | None = None,
    coupling: MimicCoupling = DEFAULT_COUPLING,
    options: MjcfOptions = DEFAULT_OPTIONS,
) -> str:
    """The MJCF document of model ``name`` (``paths.MODEL_NAMES``)."""
    check_model_name(name)
    if name == "bimanual_rig":
        rig = RigCalibration.load() if rig is None else rig
        robot = build(name, rig, coupling)
        return to_mjcf(robot, _rig_spec(rig, options))
    robot = build(name, rig, coupling)
    if name in rm75.VARIANTS:
        spec = MjcfSpec(
            timestep=options.timestep,
            servos=_arm_servos(name, None, options),  # type: ignore[arg-type]
            joint_armature=lambda j: _arm_armature(j, options),
            joint_damping=lambda j: options.arm_damping,
            collision_bits=lambda link: ROBOT_BITS,
            floor_z=0.0,
        )
        return to_mjcf(robot, spec)
    side: Side = "left" if "_left" in name else "right"
    if name.endswith("_sim"):
        return to_mjcf(robot, _sim_hand_spec(side, robot, options))
    spec = MjcfSpec(
        timestep=options.timestep,
        servos=_hand_servos(side, options),
        joint_armature=lambda j: _hand_armature(j, options),
        joint_damping=lambda j: options.finger_damping,
        collision_bits=lambda link: ROBOT_BITS,
    )
    return to_mjcf(robot, spec)


def _arm_servos(
    variant: rm75.Variant, side: Side | None, options: MjcfOptions
) -> tuple[PositionServo, ...]:
    limits = rm75.joint_limits(variant)
    return tuple(
        PositionServo(
            name,
            name,
            options.arm_kp[i],
            1.0,
            (float(limits.lower[i]), float(limits.upper[i])),
            float(limits.effort[i]),
        )
        for i, name in enumerate(rm75.joint_names(side))
    )


def _hand_servos(side: Side, options: MjcfOptions) -> tuple[PositionServo, ...]:
    lower, upper = actuator_limits(side)
    return tuple(
        PositionServo(
            act, joint, options.finger_kp, 1.0, (float(lo), float(hi)), options.finger_force
        )
        for act, joint, lo, hi in zip(
            actuator_names(side), driven_joint_names(side), lower, upper, strict=True
        )
    )


def _arm_armature(joint: Joint, options: MjcfOptions) -> float:
    return options.arm_armature[int(joint.name.rsplit("_", 1)[1]) - 1]


def _hand_armature(joint: Joint, options: MjcfOptions) -> float:
    return options.passive_armature if joint.mimic is not None else options.finger_armature


def _sim_hand_spec(side: Side, robot, options: MjcfOptions) -> MjcfSpec:
    lower, upper = sim_joint_limits(side)
    servos = tuple(
        PositionServo(j, j, options.finger_kp, 1.0, (float(lo), float(hi)), options.finger_force)
        for j, lo, hi in zip(sim_joint_names(side), lower, upper, strict=True)
    )
    mass, inertia = _mass_and_mean_inertia(robot)
    rate = options.wrist_damping_rate
    wrench = []
    for k in range(6):
        kind, axis = ("force", "xyz"[k]) if k < 3 else ("torque", "xyz"[k - 3])
        limit = options.wrist_force if k < 3 else options.wrist_torque
        gear = tuple(1.0 if i == k else 0.0 for i in range(6))
        wrench.append(
            WrenchActuator(
                name=f"{side}_wrist_{kind}_{axis}",
                site=f"{side}_hand_base",
                refsite="world",
                gear=gear,  # type: ignore[arg-type]
                damping=rate * (mass if k < 3 else inertia),
                ctrlrange=(-limit, limit),
            )
        )
    return MjcfSpec(
        timestep=options.timestep,
        servos=servos,
        wrench=tuple(wrench),
        joint_armature=lambda j: options.finger_armature,
        joint_damping=lambda j: options.finger_damping,
        collision_bits=lambda link: ROBOT_BITS,
        floating_root=f"{hand_prefix(side)}_wrist_free_joint",
        gravity_compensated=True,
        world_sites=("world",),
    )


def _rig_spec(rig: RigCalibration, options: MjcfOptions) -> MjcfSpec:
    servos: list[PositionServo] = []
    for side in SIDES:
        servos.extend(_arm_servos(rig.arm_variant, side, options))
    for side in SIDES:
        servos.extend(_hand_servos(side, options))

    def armature(joint: Joint) -> float:
        if "_arm_joint_" in joint.name:
            return _arm_armature(joint, options)
        return _hand_armature(joint, options)

    def damping(joint: Joint) -> float:
        return options.arm_damping if "_arm_joint_" in joint.name else options.finger_damping

    def bits(link: Link) -> Bits:
        for side in SIDES:
            if link.name.startswith((f"{side}_", f"{hand_prefix(side)}_")):
                return RIG_BITS[side]
        return (1, 1)  # table

    floor = rig.table.top_center[2] - rig.table.size[2]
    centre = np.array(rig.table.top_center)
    return MjcfSpec(
        timestep=options.timestep,
        servos=tuple(servos),
        joint_armature=armature,
        joint_damping=damping,
        collision_bits=bits,
        floor_z=floor,
        world_sites=("world",),
        offscreen_size=(1280, 800),
        cameras=(
            _look_at(
                "overview",
                centre + np.array([1.05, -0.6, 0.8]),
                centre + np.array([-0.1, 0.0, 0.22]),
            ),
        ),
    )


def _mass_and_mean_inertia(robot) -> tuple[float, float]:
    """Total mass [kg] and mean principal inertia about the COM [kg·m²] at q = 0."""
    poses = forward_kinematics(robot, {})
    total, first = 0.0, np.zeros(3)
    parts = []
    for link in robot.links:
        if link.inertial is None:
            continue
        T = poses[link.name]
        com = T[:3, :3] @ np.asarray(link.inertial.com) + T[:3, 3]
        parts.append((link.inertial.mass, com, T[:3, :3] @ link.inertial.tensor() @ T[:3, :3].T))
        total += link.inertial.mass
        first += link.inertial.mass * com
    c = first / total
    inertia = np.zeros((3, 3))
    for m, com, I_c in parts:
        d = com - c
        inertia += I_c + m * (d @ d * np.eye(3) - np.outer(d, d))
    return total, float(np.trace(inertia) / 3.0)


def _look_at(
    name: str, eye: np.ndarray, target: np.ndarray
) -> tuple[str, tuple[float, ...], tuple[float, ...]]:
    """A camera (name, pos, xyaxes) at ``eye`` looking at ``target``, z up [m]."""
    forward = (target - eye) / np.linalg.norm(target - eye)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    return name, tuple(float(v) for v in eye), tuple(float(v) for v in (*right, *up))
