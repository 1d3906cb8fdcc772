"""MuJoCo scene of the training environment: floating sim hands, objects, a table.

The hands are built from ``maniptrans_description.inspire.hand_robot(side)`` (the same tree the
description's URDF/MJCF come from), with what the environment needs on top: a free joint on the
hand base (driven by a 6-D wrist force/torque, gravity compensated: the sim hand has no arm),
one position actuator per joint (PD gains set per environment), and collision bits so that hands
touch objects and the table but not each other. Each object collides through the convex hull of
its mesh (computed with trimesh), density 200 kg/m³ capped at 0.5 kg.

Collision bits: hand geoms contype 2 / conaffinity 1; objects and table contype 1 /
conaffinity 3 (hand-hand pairs never collide, every other pair does).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import mujoco
import numpy as np
import trimesh
from scipy.spatial.transform import Rotation

from maniptrans_description import inspire
from maniptrans_training.demo import DemoObject, Side
from maniptrans_training.errors import TrainingError
from maniptrans_training.sim_hand import HandKinematics

TIP_CARRIERS = (
    "thumb_distal",
    "index_intermediate",
    "middle_intermediate",
    "ring_intermediate",
    "pinky_intermediate",
)


@dataclass(frozen=True)
class SceneConfig:
    """Physical parameters of the scene (SI units).

    Attributes:
        dt: policy period [s]; substeps: physics steps per policy step.
        kp, kd: joint PD gains [N·m/rad], [N·m·s/rad] (defaults for MuJoCo at dt/substeps; the
            reference's 500 / 30 are PhysX drive values for a differently scaled articulation
            and are unstable here).
        armature: joint armature [kg·m²] (numerical stability of the tiny finger links).
        wrist_lin_damping [N·s/m], wrist_ang_damping [N·m·s/rad]: damping of the floating base.
        object_density [kg/m³], object_max_mass [kg], object_friction: sliding friction.
        table_z: height of the table top [m] (None: no table).
    """

    dt: float = 1.0 / 60.0
    substeps: int = 2
    kp: float = 10.0
    kd: float = 0.2
    armature: float = 1e-3
    wrist_lin_damping: float = 5.0
    wrist_ang_damping: float = 0.02
    object_density: float = 200.0
    object_max_mass: float = 0.5
    object_friction: float = 2.0
    table_z: float | None = 0.0


@dataclass
class HandIndex:
    """Addresses of one hand in the compiled model."""

    side: Side
    base_body: int
    free_qpos: int  # 7 entries: position, quaternion w x y z
    free_dof: int  # 6 entries: linear, angular velocity
    joint_qpos: np.ndarray  # (12,) sim-joint order
    joint_dof: np.ndarray  # (12,)
    actuators: np.ndarray  # (12,)
    bodies: np.ndarray  # (18,) HandKinematics.link_names order
    tip_carriers: np.ndarray  # (5,) bodies whose contacts count as fingertip contacts
    mass: float  # [kg] of the whole hand


@dataclass
class ObjectIndex:
    name: str
    body: int
    free_qpos: int
    free_dof: int
    geom: int
    mass: float
    vertices: np.ndarray  # (V, 3) convex hull vertices in the object frame [m]


@dataclass
class SceneIndex:
    hands: dict[Side, HandIndex] = field(default_factory=dict)
    objects: list[ObjectIndex] = field(default_factory=list)
    hand_geoms: np.ndarray = field(default_factory=lambda: np.zeros(0, int))


def _quat_wxyz(R: np.ndarray) -> str:
    x, y, z, w = Rotation.from_matrix(R).as_quat()
    return f"{w:.10g} {x:.10g} {y:.10g} {z:.10g}"


def _vec(v) -> str:
    return " ".join(f"{float(x):.10g}" for x in v)


def _rpy_matrix(rpy) -> np.ndarray:
    return Rotation.from_euler("xyz", rpy).as_matrix()


def _add_hand(world: ET.Element, actuators: ET.Element, side: Side, cfg: SceneConfig) -> None:
    robot = inspire.hand_robot(side)
    links = {link.name: link for link in robot.links}
    base = ET.SubElement(world, "body", name=robot.root, pos="0 0 0.5", gravcomp="1")
    ET.SubElement(
        base,
        "joint",
        name=f"{side}_wrist_free",
        type="free",
        damping="0",
        armature="0",
    )
    bodies = {robot.root: base}

    def fill(body: ET.Element, name: str) -> None:
        link = links[name]
        if link.inertial is not None:
            i = link.inertial
            ixx, ixy, ixz, iyy, iyz, izz = i.inertia
            ET.SubElement(
                body,
                "inertial",
                pos=_vec(i.com),
                mass=f"{i.mass:.10g}",
                fullinertia=_vec((ixx, iyy, izz, ixy, ixz, iyz)),
            )
        for k, s in enumerate(link.shapes):
            attrs = {
                "name": f"{name}_geom{k}",
                "pos": _vec(s.xyz),
                "quat": _quat_wxyz(_rpy_matrix(s.rpy)),
                "rgba": _vec(s.rgba),
            }
            if s.kind == "box":
                attrs.update(type="box", size=_vec(np.asarray(s.size) / 2))
            else:
                attrs.update(type="sphere", size=f"{s.size[0]:.10g}")
            if s.visual_only:
                attrs.update(contype="0", conaffinity="0", group="2", mass="0")
            else:
                attrs.update(contype="2", conaffinity="1", condim="4", mass="0")
            ET.SubElement(body, "geom", **attrs)

    fill(base, robot.root)
    for j in robot.joints:
        T = j.origin()
        child = ET.SubElement(
            bodies[j.parent],
            "body",
            name=j.child,
            pos=_vec(T[:3, 3]),
            quat=_quat_wxyz(T[:3, :3]),
            gravcomp="1",
        )
        bodies[j.child] = child
        if j.type == "revolute":
            ET.SubElement(
                child,
                "joint",
                name=j.name,
                type="hinge",
                axis=_vec(j.axis),
                range=f"{j.lower:.10g} {j.upper:.10g}",
                armature=f"{cfg.armature:.10g}",
            )
            ET.SubElement(
                actuators,
                "position",
                name=f"{j.name}_pd",
                joint=j.name,
                kp=f"{cfg.kp:.10g}",
                kv=f"{cfg.kd:.10g}",
                ctrlrange=f"{j.lower:.10g} {j.upper:.10g}",
            )
        fill(child, j.child)


def _hull(obj: DemoObject) -> trimesh.Trimesh:
    mesh = trimesh.Trimesh(obj.vertices, obj.faces, process=True)
    hull = mesh.convex_hull
    if hull.volume <= 0:
        raise TrainingError(f"object {obj.name!r}: its convex hull has no volume")
    return hull


def build_scene(
    sides: tuple[Side, ...], objects: tuple[DemoObject, ...], cfg: SceneConfig = SceneConfig()
) -> tuple[mujoco.MjModel, SceneIndex]:
    """Compile the scene; returns the model and where every hand/object lives in it."""
    if cfg.substeps < 1 or cfg.dt <= 0:
        raise TrainingError(f"SceneConfig: need dt > 0 and substeps >= 1, found {cfg}")
    root = ET.Element("mujoco", model="maniptrans_env")
    ET.SubElement(root, "compiler", angle="radian", autolimits="true")
    ET.SubElement(
        root,
        "option",
        timestep=f"{cfg.dt / cfg.substeps:.10g}",
        integrator="implicitfast",
        cone="elliptic",
        gravity="0 0 -9.81",
    )
    asset = ET.SubElement(root, "asset")
    world = ET.SubElement(root, "worldbody")
    ET.SubElement(world, "light", pos="0 0 1.5", dir="0 0 -1")
    actuators = ET.SubElement(root, "actuator")
    if cfg.table_z is not None:
        ET.SubElement(
            world,
            "geom",
            name="table",
            type="box",
            size="0.6 0.8 0.02",
            pos=f"0 0 {cfg.table_z - 0.02:.10g}",
            contype="1",
            conaffinity="3",
            friction="1 0.005 0.0001",
            rgba="0.6 0.5 0.4 1",
        )
    for side in sides:
        _add_hand(world, actuators, side, cfg)
    hull_vertices = []
    for i, obj in enumerate(objects):
        hull = _hull(obj)
        density = min(cfg.object_density, cfg.object_max_mass / hull.volume)
        ET.SubElement(
            asset,
            "mesh",
            name=f"obj{i}_hull",
            vertex=_vec(np.asarray(hull.vertices).ravel()),
            face=" ".join(str(int(x)) for x in np.asarray(hull.faces).ravel()),
        )
        body = ET.SubElement(
            world, "body", name=f"obj{i}_{obj.name}", pos=_vec(obj.poses[0, :3, 3])
        )
        ET.SubElement(body, "freejoint", name=f"obj{i}_free")
        ET.SubElement(
            body,
            "geom",
            name=f"obj{i}_geom",
            type="mesh",
            mesh=f"obj{i}_hull",
            density=f"{density:.10g}",
            contype="1",
            conaffinity="3",
            condim="4",
            friction=f"{cfg.object_friction:.10g} 0.005 0.0001",
            rgba="0.2 0.5 0.8 1",
        )
        hull_vertices.append(np.asarray(hull.vertices, float))
    xml = ET.tostring(root, encoding="unicode")
    try:
        model = mujoco.MjModel.from_xml_string(xml)
    except ValueError as exc:
        raise TrainingError(f"the generated scene does not compile: {exc}") from exc
    for side in sides:  # damping of the floating wrist, linear and angular separately
        dof = model.jnt_dofadr[model.joint(f"{side}_wrist_free").id]
        model.dof_damping[dof : dof + 3] = cfg.wrist_lin_damping
        model.dof_damping[dof + 3 : dof + 6] = cfg.wrist_ang_damping
    return model, _index(model, sides, objects, hull_vertices)


def _index(
    model: mujoco.MjModel,
    sides: tuple[Side, ...],
    objects: tuple[DemoObject, ...],
    hulls: list[np.ndarray],
) -> SceneIndex:
    idx = SceneIndex()
    hand_geoms = []
    for side in sides:
        kin = HandKinematics(side)
        prefix = kin.link_names[0].split("_", 1)[0]
        base = model.body(kin.link_names[0]).id
        free = model.joint(f"{side}_wrist_free").id
        joints = [model.joint(n).id for n in kin.joint_names]
        bodies = np.array([model.body(n).id for n in kin.link_names])
        hand_geoms += [g for g in range(model.ngeom) if model.geom_bodyid[g] in set(bodies)]
        idx.hands[side] = HandIndex(
            side=side,
            base_body=base,
            free_qpos=int(model.jnt_qposadr[free]),
            free_dof=int(model.jnt_dofadr[free]),
            joint_qpos=model.jnt_qposadr[joints].copy(),
            joint_dof=model.jnt_dofadr[joints].copy(),
            actuators=np.array([model.actuator(f"{n}_pd").id for n in kin.joint_names]),
            bodies=bodies,
            tip_carriers=np.array([model.body(f"{prefix}_{n}").id for n in TIP_CARRIERS]),
            mass=float(np.sum(model.body_mass[bodies])),
        )
    for i, obj in enumerate(objects):
        body = model.body(f"obj{i}_{obj.name}").id
        free = model.joint(f"obj{i}_free").id
        idx.objects.append(
            ObjectIndex(
                name=obj.name,
                body=body,
                free_qpos=int(model.jnt_qposadr[free]),
                free_dof=int(model.jnt_dofadr[free]),
                geom=model.geom(f"obj{i}_geom").id,
                mass=float(model.body_mass[body]),
                vertices=hulls[i],
            )
        )
    idx.hand_geoms = np.array(hand_geoms, int)
    return idx
