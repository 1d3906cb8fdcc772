"""The MuJoCo twin of the rig behind the `RigModel` interface.

Source model: the rig MJCF of ``maniptrans_description`` (``mjcf_path("bimanual_rig")``), whose
position servos drive every arm joint and every driven hand joint and whose equality constraints
carry the hands' mimic couplings (another MJCF with the same joint names and servos also works).

What the twin adds on top of the model, as the real devices would:

- arm servo targets move toward the commanded position no faster than the joint speed limits and
  with bounded acceleration (so a torque-limited servo never overshoots the speed limit);
- hand servo targets move toward the commanded angle at the commanded speed (the hand firmware in
  `maniptrans_sim.mock.inspire.device` stops a finger when its force reaches the limit);
- robot bodies are gravity-compensated (the controllers hold the arms up); objects are not;
- fingertip force per actuator = sum of the contact normal forces on that finger's bodies [N];
- a frozen joint keeps its servo target where the joint was frozen.

Objects (`ObjectSpec`): primitives or a mesh (MuJoCo collides with its convex hull) on a free
joint, placed at a start pose (e.g. the transferred task's first object pose).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mujoco
import numpy as np

from maniptrans_sim.mock.errors import MockRigError
from maniptrans_sim.mock.rig_model import Part, RigState
from maniptrans_sim.mock.robot_tables import (
    ARM_DOF,
    HAND_DOF,
    SIDES,
    Side,
    arm_joint_names,
    arm_limits,
    check_side,
    hand_actuator_limits,
)

SHAPES = {
    "box": mujoco.mjtGeom.mjGEOM_BOX,
    "sphere": mujoco.mjtGeom.mjGEOM_SPHERE,
    "cylinder": mujoco.mjtGeom.mjGEOM_CYLINDER,
    "capsule": mujoco.mjtGeom.mjGEOM_CAPSULE,
    "mesh": mujoco.mjtGeom.mjGEOM_MESH,
}
OBJECT_BITS = (3, 3)  # contype, conaffinity of added objects: they touch robot, table, each other


@dataclass(frozen=True)
class ObjectSpec:
    """A free object in the twin. Lengths [m], mass [kg], quaternion x y z w."""

    name: str
    shape: str = "box"  # box | sphere | cylinder | capsule | mesh
    size: tuple[float, ...] = (0.03, 0.03, 0.03)  # MuJoCo geom size (box: half-extents)
    mass: float = 0.1
    pos: tuple[float, float, float] = (0.4, 0.0, 0.05)  # start position in world [m]
    quat_xyzw: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 1.0)
    mesh: str | None = None  # mesh file (STL/OBJ) when shape == "mesh"
    friction: float = 1.0
    fixed: bool = False  # True: a static obstacle (no free joint)


@dataclass(frozen=True)
class TwinConfig:
    """How to build the twin."""

    model_path: str | None = None  # rig MJCF; None: the description's bimanual_rig
    timestep: float = 0.002  # physics step [s]
    arm_acceleration: float = 10.0  # acceleration limit of the arm servo reference [rad/s^2]
    objects: tuple[ObjectSpec, ...] = ()


def default_model_path() -> Path:
    """The description's rig MJCF."""
    from maniptrans_description import paths

    return paths.mjcf_path("bimanual_rig")


def _driven_joint_names(side: Side) -> list[str]:
    from maniptrans_description import inspire

    return list(inspire.driven_joint_names(side))


def _sim_joint_names(side: Side) -> list[str]:
    from maniptrans_description import inspire

    return list(inspire.sim_joint_names(side))


class MujocoTwin:
    """The rig in MuJoCo (see the module docstring); implements `RigModel`."""

    def __init__(self, config: TwinConfig | None = None, sides: tuple[Side, ...] = SIDES) -> None:
        self.config = cfg = config or TwinConfig()
        self.sides = tuple(check_side(s) for s in sides)
        path = Path(cfg.model_path) if cfg.model_path else default_model_path()
        if not path.is_file():
            raise MockRigError(f"twin model file {path} does not exist")
        spec = mujoco.MjSpec.from_file(str(path))
        self.source = path
        self._prepare(spec)
        try:
            self.model = spec.compile()
        except Exception as exc:
            raise MockRigError(f"twin model {path} does not compile: {exc}") from exc
        self.model.opt.timestep = cfg.timestep
        self.timestep = cfg.timestep
        self.data = mujoco.MjData(self.model)
        self._index()
        mujoco.mj_forward(self.model, self.data)
        self._contact_force = {s: np.zeros(HAND_DOF) for s in self.sides}

    # ------------------------------------------------------------------ build
    def _prepare(self, spec: mujoco.MjSpec) -> None:
        for body in spec.bodies:
            if body.name != "world":
                body.gravcomp = 1.0  # the controllers hold the robot up; objects are added later
        for obj in self.config.objects:
            self._add_object(spec, obj)

    def _add_object(self, spec: mujoco.MjSpec, obj: ObjectSpec) -> None:
        if obj.shape not in SHAPES:
            raise MockRigError(f"object {obj.name}: shape {obj.shape!r} not in {sorted(SHAPES)}")
        x, y, z, w = obj.quat_xyzw
        body = spec.worldbody.add_body(name=obj.name, pos=list(obj.pos), quat=[w, x, y, z])
        if not obj.fixed:
            body.add_freejoint(name=f"{obj.name}_free")
        kw: dict = {"type": SHAPES[obj.shape], "mass": obj.mass}
        if obj.shape == "mesh":
            if not obj.mesh or not Path(obj.mesh).is_file():
                raise MockRigError(f"object {obj.name}: mesh file {obj.mesh!r} not found")
            spec.add_mesh(name=f"{obj.name}_mesh", file=str(obj.mesh))
            kw["meshname"] = f"{obj.name}_mesh"
        else:
            kw["size"] = list(obj.size) + [0.0] * (3 - len(obj.size))
        geom = body.add_geom(**kw)
        geom.contype, geom.conaffinity = OBJECT_BITS
        geom.friction = [obj.friction, 0.005, 0.0001]

    def _index(self) -> None:
        m = self.model
        joint_actuator = {
            int(m.actuator_trnid[a, 0]): a
            for a in range(m.nu)
            if m.actuator_trntype[a] == mujoco.mjtTrn.mjTRN_JOINT
        }

        def jid(name: str) -> int:
            j = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, name)
            if j < 0:
                raise MockRigError(f"twin model {self.source} has no joint {name!r}")
            return j

        def act_of(name: str) -> int:
            j = jid(name)
            if j not in joint_actuator:
                raise MockRigError(f"twin model {self.source}: joint {name!r} has no actuator")
            return joint_actuator[j]

        self._arm_qadr, self._arm_dadr, self._arm_act = {}, {}, {}
        self._hand_qadr, self._hand_act, self._hand_sim_qadr = {}, {}, {}
        # servo references of both sides in one array each (per-side entries are views of them)
        ns = len(self.sides)
        self._A = {k: np.zeros((ns, ARM_DOF)) for k in ("ctrl", "goal", "vref")}
        self._A["frozen"] = np.zeros((ns, ARM_DOF), bool)
        self._H = {k: np.zeros((ns, HAND_DOF)) for k in ("ctrl", "goal", "speed")}
        self._H["frozen"] = np.zeros((ns, HAND_DOF), bool)
        self._arm_ctrl = {s: self._A["ctrl"][k] for k, s in enumerate(self.sides)}
        self._arm_goal = {s: self._A["goal"][k] for k, s in enumerate(self.sides)}
        self._arm_vref = {s: self._A["vref"][k] for k, s in enumerate(self.sides)}
        self._hand_ctrl = {s: self._H["ctrl"][k] for k, s in enumerate(self.sides)}
        self._hand_goal = {s: self._H["goal"][k] for k, s in enumerate(self.sides)}
        self._hand_speed = {s: self._H["speed"][k] for k, s in enumerate(self.sides)}
        self._frozen: dict[tuple[str, str], np.ndarray] = {}
        self._arm_vmax = arm_limits().velocity
        roots: dict[int, int] = {}  # body of a driven joint -> finger code
        for s in self.sides:
            arm = [jid(n) for n in arm_joint_names(s)]
            self._arm_qadr[s] = m.jnt_qposadr[arm]
            self._arm_dadr[s] = m.jnt_dofadr[arm]
            self._arm_act[s] = np.array([act_of(n) for n in arm_joint_names(s)])
            driven = _driven_joint_names(s)
            self._hand_qadr[s] = m.jnt_qposadr[[jid(n) for n in driven]]
            self._hand_act[s] = np.array([act_of(n) for n in driven])
            self._hand_sim_qadr[s] = m.jnt_qposadr[[jid(n) for n in _sim_joint_names(s)]]
            q_arm = self.data.qpos[self._arm_qadr[s]].copy()
            self._arm_ctrl[s][:] = q_arm
            self._arm_goal[s][:] = q_arm
            lo, _ = hand_actuator_limits(s)
            self._hand_ctrl[s][:] = lo
            self._hand_goal[s][:] = lo
            self._hand_speed[s][:] = 1.0
            k = self.sides.index(s)
            self._frozen[(s, "arm")] = self._A["frozen"][k]
            self._frozen[(s, "hand")] = self._H["frozen"][k]
            for i, name in enumerate(driven):
                roots[m.jnt_bodyid[jid(name)]] = self._finger_code(s, i)
        # a body belongs to the nearest driven joint above it (so thumb links below the bend
        # joint count for the bend, the thumb base for the rotation)
        finger_of_body = np.full(m.nbody, -1)
        for b in range(m.nbody):
            a = b
            while a > 0 and a not in roots:
                a = m.body_parentid[a]
            finger_of_body[b] = roots.get(a, -1)
        self._geom_finger = finger_of_body[m.geom_bodyid]
        self._act_arm_all = np.concatenate([self._arm_act[s] for s in self.sides])
        self._act_hand_all = np.concatenate([self._hand_act[s] for s in self.sides])
        self._objects = [
            (m.body(b).name, m.jnt_qposadr[m.body_jntadr[b]])
            for b in range(m.nbody)
            if m.body_jntnum[b] == 1 and m.jnt_type[m.body_jntadr[b]] == mujoco.mjtJoint.mjJNT_FREE
        ]

    def _finger_code(self, side: Side, i: int) -> int:
        return self.sides.index(side) * HAND_DOF + i

    # ------------------------------------------------------------------ RigModel
    @property
    def time(self) -> float:
        return float(self.data.time)

    def set_arm_target(self, side: Side, q: np.ndarray) -> None:
        self._arm_goal[side][:] = q

    def arm_state(self, side: Side) -> tuple[np.ndarray, np.ndarray]:
        # fancy indexing already returns copies
        return self.data.qpos[self._arm_qadr[side]], self.data.qvel[self._arm_dadr[side]]

    def set_arm_state(self, side: Side, q: np.ndarray) -> None:
        """Place the arm at ``q`` [rad] at rest (initial conditions)."""
        q = np.asarray(q, float)
        self.data.qpos[self._arm_qadr[side]] = q
        self.data.qvel[self._arm_dadr[side]] = 0.0
        self._arm_ctrl[side][:] = q
        self._arm_goal[side][:] = q
        self._arm_vref[side][:] = 0.0
        mujoco.mj_forward(self.model, self.data)

    def set_hand_target(
        self, side: Side, q: np.ndarray, speed: np.ndarray, force_limit: np.ndarray
    ) -> None:
        self._hand_goal[side][:] = q
        self._hand_speed[side][:] = np.maximum(speed, 0.0)

    def hand_state(self, side: Side) -> tuple[np.ndarray, np.ndarray]:
        return self.data.qpos[self._hand_qadr[side]], self._contact_force[side].copy()

    def hand_reference(self, side: Side) -> np.ndarray:
        return self._hand_ctrl[side].copy()

    def set_frozen(self, side: Side, part: Part, index: int, frozen: bool) -> None:
        mask = self._frozen[(check_side(side), part)]
        if not 0 <= index < mask.size:
            raise IndexError(f"{part} joint index must be in 0..{mask.size - 1}, got {index}")
        mask[index] = frozen
        if frozen:
            adr = self._arm_qadr[side] if part == "arm" else self._hand_qadr[side]
            ctrl = self._arm_ctrl[side] if part == "arm" else self._hand_ctrl[side]
            ctrl[index] = self.data.qpos[adr[index]]
            if part == "arm":
                self._arm_vref[side][index] = 0.0

    def step(self, n: int = 1) -> None:
        dt = self.timestep * n
        d = self.data
        a_max = self.config.arm_acceleration
        A, H = self._A, self._H
        # arm: speed- and acceleration-limited reference (a trapezoidal approach), both sides
        ctrl, v = A["ctrl"], A["vref"]
        err = A["goal"] - ctrl
        v_stop = np.sign(err) * np.sqrt(2.0 * a_max * np.abs(err))
        v_des = np.minimum(np.maximum(v_stop, -self._arm_vmax), self._arm_vmax)
        dv_max = a_max * dt
        v += np.minimum(np.maximum(v_des - v, -dv_max), dv_max)
        v[A["frozen"]] = 0.0
        step = v * dt
        over = np.abs(step) > np.abs(err)  # do not overshoot the goal in one step
        step[over] = err[over]
        v[over] = 0.0
        ctrl += step
        # hand: speed-limited reference (the fingers are light)
        lim = H["speed"] * dt
        hstep = np.minimum(np.maximum(H["goal"] - H["ctrl"], -lim), lim)
        hstep[H["frozen"]] = 0.0
        H["ctrl"] += hstep
        d.ctrl[self._act_arm_all] = ctrl.ravel()
        d.ctrl[self._act_hand_all] = H["ctrl"].ravel()
        mujoco.mj_step(self.model, d, nstep=n)
        self._update_forces()

    def _update_forces(self) -> None:
        d, m = self.data, self.model
        for s in self.sides:
            self._contact_force[s][:] = 0.0
        if d.ncon == 0:
            return
        f6 = np.zeros(6)
        for i in range(d.ncon):
            c = d.contact[i]
            for g in (c.geom1, c.geom2):
                code = self._geom_finger[g]
                if code >= 0:
                    mujoco.mj_contactForce(m, d, i, f6)
                    side = self.sides[code // HAND_DOF]
                    self._contact_force[side][code % HAND_DOF] += abs(f6[0])

    def object_poses(self) -> dict[str, np.ndarray]:
        """Free objects' poses: name -> (7,) position [m] + quaternion x y z w."""
        out = {}
        for name, adr in self._objects:
            p = self.data.qpos[adr : adr + 7]
            out[name] = np.concatenate([p[:3], p[4:7], p[3:4]])
        return out

    def snapshot(self) -> RigState:
        d = self.data
        return RigState(
            time=float(d.time),
            arm_q={s: d.qpos[self._arm_qadr[s]].copy() for s in self.sides},
            arm_dq={s: d.qvel[self._arm_dadr[s]].copy() for s in self.sides},
            hand_q={s: d.qpos[self._hand_qadr[s]].copy() for s in self.sides},
            hand_force={s: self._contact_force[s].copy() for s in self.sides},
            hand_joint_q={s: d.qpos[self._hand_sim_qadr[s]].copy() for s in self.sides},
            objects=self.object_poses(),
        )
