"""ManipTrans environment on CPU MuJoCo: one or two floating sim hands tracking a reference.

One ``MjModel`` copy and one ``MjData`` per environment (so gravity, friction and PD gains can
differ per environment), stepped in a Python loop; state is gathered into (N, ...) numpy arrays
and every observation, reward and termination is computed batched. ``bench/bench_env.py``
measures this loop against raw ``mj_step`` and against ``mujoco.rollout``'s threaded stepping
(on this 2-core machine the loop with in-place state wins: rollout needs a state copy in and out
every 60 Hz step).

Stage "imitation" simulates the hands alone (no objects, no table); stage "residual" adds the
objects and the table.

Observation per hand (stage "imitation", :meth:`ManipTransEnv.obs_layout` lists the slices):
  proprioception 49 = q, cos q, sin q (12 each) + wrist state 13 (position zeroed, quaternion
  x y z w, linear and angular velocity); target 171 = next-frame wrist Δp, v_ref, Δv, Δrot
  (axis-angle), ω_ref, Δω (18) + 17 links × (Δp, v_ref, Δv) (153).
Stage "residual" adds per hand 188 = object position in the wrist frame, quaternion, velocity,
  angular velocity (13), mass, centre of mass (4), gravity vector (3), 5 fingertip contact
  forces, 18 link→object distances, 5 demo tip→object distances, a 128-point BPS code and the
  next-frame object Δp, Δrot, v_ref, ω_ref (12).
Privileged observation per hand: joint velocities (12).

Interface: ``maniptrans_training.rl.vec_env.VecEnv`` (rsl-rl's), observation groups
``policy`` (N, num_obs), ``critic`` (N, num_obs + 12·H) = policy + privileged,
``reference_action`` (N, A) = the Retarget-only PD tracker's action (the kinematic reference in
action space), and for two hands ``policy_right`` / ``policy_left`` (each hand's slices).
``step`` returns (obs, reward (N,), done (N,) float, extras) with ``extras["time_outs"]`` and
``extras["log"]``; finished environments are reset before the observation is returned (unless
``EnvConfig.auto_reset`` is off, as in rollouts). ``set_physics`` sets gravity scale, friction
and PD gains per environment (curricula).
Action per hand (18): wrist force (3) and torque (3) in the world frame, scaled by
  ``force_scale`` [N] and ``torque_scale`` [N·m]; 12 joint targets mapped linearly from [−1, 1]
  to the joint limits and smoothed by an exponential moving average (``target_ema``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from typing import Literal

import mujoco
import numpy as np
import torch
import trimesh
from scipy.spatial import cKDTree
from tensordict import TensorDict

from maniptrans_training.demo import DemoObject, Side
from maniptrans_training.env.bps import basis_points, bps_code, surface_samples
from maniptrans_training.env.curriculum import CurriculumConfig, threshold_scale
from maniptrans_training.env.reference import ObjectReference, Reference
from maniptrans_training.env.rewards import (
    ImitationErrors,
    ImitationWeights,
    ResidualWeights,
    imitation_terms,
    residual_terms,
    sum_terms,
)
from maniptrans_training.env.scene import SceneConfig, build_scene
from maniptrans_training.env.terminations import (
    TerminationConfig,
    imitation_termination,
    residual_termination,
)
from maniptrans_training.errors import TrainingError
from maniptrans_training.rl.vec_env import VecEnv, make_obs
from maniptrans_training.rotations import matrix_to_axis_angle, matrix_to_quat
from maniptrans_training.sim_hand import HandKinematics

LEVEL1 = ("thumb_proximal", "index_proximal", "middle_proximal")
LEVEL2 = (
    "thumb_proximal_base",
    "thumb_intermediate",
    "thumb_distal",
    "index_intermediate",
    "middle_intermediate",
    "ring_proximal",
    "ring_intermediate",
    "pinky_proximal",
    "pinky_intermediate",
)
PROPRIO_DIM = 49
TARGET_DIM = 18 + 17 * 9
OBJECT_DIM = 13 + 4 + 3 + 5 + 18 + 5 + 128 + 12
ACTIONS_PER_HAND = 18


@dataclass(frozen=True)
class TrackerGains:
    """PD gains of the Retarget-only tracker (the ``reference_action`` group).

    Attributes:
        pos_kp [N/m], pos_kd [N·s/m]: wrist position; rot_kp [N·m/rad], rot_kd [N·m·s/rad]:
            wrist rotation. The wrist's own damping is fed forward on top. The wrench is held for
            a whole 1/60 s policy period, so the derivative gains must stay below ~2·I/dt
            (hand inertia I ≈ 3e-4 kg·m² about its centre of mass) or the wrist oscillates.
    """

    pos_kp: float = 300.0
    pos_kd: float = 10.0
    rot_kp: float = 1.5
    rot_kd: float = 0.025


@dataclass(frozen=True)
class EnvConfig:
    """Environment settings (SI units).

    Attributes:
        stage: "imitation" (hands only, stage 1) or "residual" (with objects, stage 2).
        num_envs: environments stepped together.
        scene: physics of the scene.
        force_scale: wrist force at action 1 [N] (facts: 500·dt).
        torque_scale: wrist torque at action 1 [N·m] (facts: 20·dt).
        target_ema: weight of the new joint target in the moving average (facts: 0.4).
        rsi: reference state initialisation (random start frame + joint noise).
        rsi_joint_noise: std of the joint noise at reset [rad].
        seed: seed of every random choice.
        early_termination: apply the stage's termination rules (off: run to the end).
        auto_reset: reset finished environments inside ``step`` (off for recorded rollouts).
    """

    stage: Literal["imitation", "residual"] = "imitation"
    num_envs: int = 1
    scene: SceneConfig = field(default_factory=SceneConfig)
    force_scale: float = 500.0 / 60.0
    torque_scale: float = 20.0 / 60.0
    target_ema: float = 0.4
    rsi: bool = False
    rsi_joint_noise: float = 0.05
    seed: int = 0
    early_termination: bool = True
    auto_reset: bool = True
    tracker: TrackerGains = field(default_factory=TrackerGains)
    imitation_weights: ImitationWeights = field(default_factory=ImitationWeights)
    residual_weights: ResidualWeights = field(default_factory=ResidualWeights)
    terminations: TerminationConfig = field(default_factory=TerminationConfig)
    curriculum: CurriculumConfig = field(default_factory=CurriculumConfig)


@dataclass
class HandState:
    """Gathered state of one hand in every environment (N, ...), world frame."""

    pos: np.ndarray  # (N, 3) base position [m]
    R: np.ndarray  # (N, 3, 3)
    vel: np.ndarray  # (N, 3) [m/s]
    angvel: np.ndarray  # (N, 3) world frame [rad/s]
    q: np.ndarray  # (N, 12)
    dq: np.ndarray  # (N, 12)
    bodies: np.ndarray  # (N, 18, 3) link origins
    torque: np.ndarray  # (N, 12) actuator torques [N·m]
    tip_force: np.ndarray  # (N, 5, 3) contact force on each fingertip link [N]


@dataclass
class ObjectState:
    pos: np.ndarray  # (N, 3)
    R: np.ndarray  # (N, 3, 3)
    vel: np.ndarray  # (N, 3)
    angvel: np.ndarray  # (N, 3)


class ManipTransEnv(VecEnv):
    """See the module docstring for the observation and action layout."""

    def __init__(self, reference: Reference, config: EnvConfig = EnvConfig()) -> None:
        if config.num_envs < 1:
            raise TrainingError(f"EnvConfig.num_envs must be >= 1, found {config.num_envs}")
        if reference.num_frames < 3:
            raise TrainingError(f"reference needs >= 3 frames, found {reference.num_frames}")
        self.cfg = config
        self.reference = reference
        self.sides: tuple[Side, ...] = reference.sides
        self.with_objects = config.stage == "residual"
        objects = tuple(_as_demo_object(o) for o in reference.objects)
        # stage 1 is hands only: no objects and no table (fingers must not catch on it)
        scene = config.scene if self.with_objects else replace(config.scene, table_z=None)
        self.model, self.index = build_scene(
            self.sides, objects if self.with_objects else (), scene
        )
        N = config.num_envs
        self.num_envs = N
        self.models = [copy.copy(self.model) for _ in range(N)]
        self.datas = [mujoco.MjData(m) for m in self.models]
        self.device = "cpu"
        self.episode_length_buf = torch.zeros(N, dtype=torch.long)
        H = len(self.sides)
        self.num_actions = ACTIONS_PER_HAND * H
        per_hand = PROPRIO_DIM + TARGET_DIM + (OBJECT_DIM if self.with_objects else 0)
        self.num_obs = per_hand * H
        self.num_privileged_obs = 12 * H
        self._obs: TensorDict | None = None
        self.last_failed = np.zeros(N, bool)
        self._prev_body_pos: dict[Side, np.ndarray] = {}
        self._fresh = np.ones(N, bool)  # reset since the last observation
        self.max_episode_length = reference.num_frames - 1
        self.rng = np.random.default_rng(config.seed)
        self.kin = {s: HandKinematics(s) for s in self.sides}
        self._link_sets = {}
        for s in self.sides:
            k = self.kin[s]
            p = k.link_names[0].split("_", 1)[0]
            self._link_sets[s] = (
                np.array(k.tip_links),
                np.array([k.link_index(f"{p}_{n}") for n in LEVEL1]),
                np.array([k.link_index(f"{p}_{n}") for n in LEVEL2]),
            )
        self.frame = np.zeros(N, int)  # reference frame of the current state
        self.episode_frame = np.zeros(N, int)
        self.total_frames = 0  # simulated frames over all environments (curricula)
        self._targets = {s: np.zeros((N, 12)) for s in self.sides}
        self._wrench = {s: np.zeros((N, 6)) for s in self.sides}
        self._last_contact = {s: np.full((N, 5), -(10**6)) for s in self.sides}
        self._gravity_scale = np.ones(N)
        self._object_geometry()
        self.gravity = np.array(self.model.opt.gravity)

    # ------------------------------------------------------------------ setup helpers
    def _object_geometry(self) -> None:
        self._obj_tree: list[cKDTree] = []
        self._bps: list[np.ndarray] = []
        self._human_tip_dist: dict[Side, np.ndarray] = {}
        basis = basis_points()
        ref = self.reference
        for o in self.index.objects:
            hull = trimesh.Trimesh(o.vertices).convex_hull
            self._obj_tree.append(cKDTree(surface_samples(hull, 512)))
            self._bps.append(bps_code(hull, basis))
        for s in self.sides:
            h = ref.hands[s]
            if h.object_index < 0 or not self.with_objects:
                self._human_tip_dist[s] = np.full((ref.num_frames, 5), np.inf)
                continue
            P = ref.objects[h.object_index].pose
            local = np.einsum("tji,tkj->tki", P[:, :3, :3], h.human_tips - P[:, None, :3, 3])
            d, _ = self._obj_tree[h.object_index].query(local.reshape(-1, 3))
            self._human_tip_dist[s] = d.reshape(-1, 5)

    # ------------------------------------------------------------------ physics settings
    def set_physics(self, gravity_scale=None, friction=None, kp=None, kd=None) -> None:
        def arr(x):
            return None if x is None else np.broadcast_to(np.asarray(x, float), (self.num_envs,))

        g, f, kp_, kd_ = arr(gravity_scale), arr(friction), arr(kp), arr(kd)
        for i, m in enumerate(self.models):
            if g is not None:
                self._gravity_scale[i] = g[i]
                m.opt.gravity[:] = self.gravity * g[i]
            if f is not None:
                for o in self.index.objects:
                    m.geom_friction[o.geom, 0] = f[i]
            for h in self.index.hands.values():
                if kp_ is not None:
                    m.actuator_gainprm[h.actuators, 0] = kp_[i]
                    m.actuator_biasprm[h.actuators, 1] = -kp_[i]
                if kd_ is not None:
                    m.actuator_biasprm[h.actuators, 2] = -kd_[i]

    # ------------------------------------------------------------------ reset
    def reset(self) -> TensorDict:
        """Reset every environment; returns the observation groups."""
        self._reset_envs(np.arange(self.num_envs))
        self._obs = self._observe(self._gather())
        return self._obs

    def get_observations(self) -> TensorDict:
        if self._obs is None:
            return self.reset()
        return self._obs

    def _reset_envs(self, ids: np.ndarray) -> None:
        ref = self.reference
        T = ref.num_frames
        for i in ids:
            start = int(self.rng.integers(0, T - 2)) if self.cfg.rsi else 0
            self.frame[i] = start
            self.episode_frame[i] = 0
            self.episode_length_buf[i] = 0
            self._fresh[i] = True
            noise = (
                {s: self.rng.normal(scale=self.cfg.rsi_joint_noise, size=12) for s in self.sides}
                if self.cfg.rsi
                else None
            )
            self.pose_at_frame(int(i), start, noise)

    def pose_at_frame(
        self, i: int, frame: int, joint_noise: dict[Side, np.ndarray] | None = None
    ) -> None:
        """Put environment ``i`` in the reference's state at ``frame`` (hands, objects, zero
        wrench), joints offset by ``joint_noise`` [rad] per side and clipped to the limits."""
        ref = self.reference
        if not 0 <= frame < ref.num_frames:
            raise TrainingError(f"pose_at_frame: frame {frame} outside 0..{ref.num_frames - 1}")
        m, d = self.models[i], self.datas[i]
        mujoco.mj_resetData(m, d)
        for s in self.sides:
            h, hi = ref.hands[s], self.index.hands[s]
            q = h.q[frame].copy()
            if joint_noise is not None:
                q += joint_noise[s]
            q = np.clip(q, self.kin[s].lower, self.kin[s].upper)
            d.qpos[hi.free_qpos : hi.free_qpos + 3] = h.wrist_pos[frame]
            qx = matrix_to_quat(h.wrist_rot[frame])
            d.qpos[hi.free_qpos + 3 : hi.free_qpos + 7] = [qx[3], qx[0], qx[1], qx[2]]
            d.qvel[hi.free_dof : hi.free_dof + 3] = h.wrist_vel[frame]
            d.qvel[hi.free_dof + 3 : hi.free_dof + 6] = (
                h.wrist_rot[frame].T @ h.wrist_angvel[frame]
            )
            d.qpos[hi.joint_qpos] = q
            d.ctrl[hi.actuators] = q
            self._targets[s][i] = q
            self._wrench[s][i] = 0.0
            self._last_contact[s][i] = -(10**6)
        for k, o in enumerate(self.index.objects):
            P = ref.objects[k].pose[frame]
            d.qpos[o.free_qpos : o.free_qpos + 3] = P[:3, 3]
            qx = matrix_to_quat(P[:3, :3])
            d.qpos[o.free_qpos + 3 : o.free_qpos + 7] = [qx[3], qx[0], qx[1], qx[2]]
        mujoco.mj_forward(m, d)

    # ------------------------------------------------------------------ stepping
    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        """One 60 Hz period: actions (N, A) in [−1, 1] -> (obs, reward (N,), done (N,), extras)."""
        a = np.asarray(torch.as_tensor(actions).detach().cpu().numpy(), float)
        if a.shape != (self.num_envs, self.num_actions):
            raise TrainingError(
                f"step: actions must be ({self.num_envs}, {self.num_actions}), found {a.shape}"
            )
        self.apply_actions(a)
        nsub = self.cfg.scene.substeps
        for m, d in zip(self.models, self.datas, strict=True):
            mujoco.mj_step(m, d, nsub)
        self.frame += 1
        self.episode_frame += 1
        self.episode_length_buf += 1
        self.total_frames += self.num_envs
        state = self._gather()
        reward, terminated, log = self._reward_and_termination(state)
        self.last_failed = terminated.copy()  # what the rules say, even when not applied
        if not self.cfg.early_termination:
            terminated[:] = False
        time_out = self.frame >= self.reference.num_frames - 1
        done = terminated | time_out
        log["/curriculum/scale"] = self.curriculum_scale()
        ids = np.flatnonzero(done)
        if ids.size and self.cfg.auto_reset:
            self._reset_envs(ids)
            state = self._gather()
        self._obs = self._observe(state)
        extras = {"time_outs": torch.as_tensor(time_out & ~terminated).float(), "log": log}
        return (
            self._obs,
            torch.as_tensor(reward, dtype=torch.float32),
            torch.as_tensor(done).float(),
            extras,
        )

    def apply_actions(self, a: np.ndarray) -> None:
        """Map actions (N, A) to wrist wrenches and EMA-smoothed joint targets, set controls."""
        a = np.clip(a, -1.0, 1.0)
        for k, s in enumerate(self.sides):
            ah = a[:, k * ACTIONS_PER_HAND : (k + 1) * ACTIONS_PER_HAND]
            kin = self.kin[s]
            new = kin.lower + 0.5 * (ah[:, 6:] + 1.0) * (kin.upper - kin.lower)
            e = self.cfg.target_ema
            self._targets[s] = e * new + (1.0 - e) * self._targets[s]
            self._wrench[s] = np.concatenate(
                [ah[:, 0:3] * self.cfg.force_scale, ah[:, 3:6] * self.cfg.torque_scale], axis=1
            )
        for i, d in enumerate(self.datas):
            for s in self.sides:
                hi = self.index.hands[s]
                d.ctrl[hi.actuators] = self._targets[s][i]
                d.xfrc_applied[hi.base_body] = self._wrench[s][i]

    # ------------------------------------------------------------------ state
    def _gather(self) -> tuple[dict[Side, HandState], list[ObjectState]]:
        ds = self.datas
        xpos = np.stack([d.xpos for d in ds])
        xmat = np.stack([d.xmat for d in ds]).reshape(self.num_envs, -1, 3, 3)
        qpos = np.stack([d.qpos for d in ds])
        qvel = np.stack([d.qvel for d in ds])
        act = np.stack([d.actuator_force for d in ds])
        tips = self._tip_forces()
        hands = {}
        for s in self.sides:
            hi = self.index.hands[s]
            R = xmat[:, hi.base_body]
            w_local = qvel[:, hi.free_dof + 3 : hi.free_dof + 6]
            hands[s] = HandState(
                pos=xpos[:, hi.base_body].copy(),
                R=R.copy(),
                vel=qvel[:, hi.free_dof : hi.free_dof + 3].copy(),
                angvel=np.einsum("nij,nj->ni", R, w_local),
                q=qpos[:, hi.joint_qpos],
                dq=qvel[:, hi.joint_dof],
                bodies=xpos[:, hi.bodies],
                torque=act[:, hi.actuators],
                tip_force=tips[s],
            )
        objs = []
        for o in self.index.objects:
            R = xmat[:, o.body]
            objs.append(
                ObjectState(
                    pos=xpos[:, o.body].copy(),
                    R=R.copy(),
                    vel=qvel[:, o.free_dof : o.free_dof + 3].copy(),
                    angvel=np.einsum("nij,nj->ni", R, qvel[:, o.free_dof + 3 : o.free_dof + 6]),
                )
            )
        return hands, objs

    def _tip_forces(self) -> dict[Side, np.ndarray]:
        out = {s: np.zeros((self.num_envs, 5, 3)) for s in self.sides}
        carriers = {
            int(b): (s, k)
            for s in self.sides
            for k, b in enumerate(self.index.hands[s].tip_carriers)
        }
        f6 = np.zeros(6)
        for i, (m, d) in enumerate(zip(self.models, self.datas, strict=True)):
            for c in range(d.ncon):
                con = d.contact[c]
                b1, b2 = m.geom_bodyid[con.geom1], m.geom_bodyid[con.geom2]
                for b, sign in ((b1, -1.0), (b2, 1.0)):
                    if int(b) in carriers:
                        mujoco.mj_contactForce(m, d, c, f6)
                        s, k = carriers[int(b)]
                        # f6 acts on geom2 from geom1, in the contact frame
                        out[s][i, k] += sign * (con.frame.reshape(3, 3).T @ f6[:3])
        return out

    def snapshot(self) -> tuple[dict[Side, HandState], list[ObjectState]]:
        """Current state of every environment (hands, objects), for rollouts and tests."""
        return self._gather()

    # ------------------------------------------------------------------ errors and rewards
    def _hand_errors(self, s: Side, st: HandState, t: np.ndarray) -> ImitationErrors:
        h = self.reference.hands[s]
        tips, l1, l2 = self._link_sets[s]
        dist = np.linalg.norm(st.bodies - h.bodies[t], axis=-1)  # (N, 18)
        rot = matrix_to_axis_angle(h.wrist_rot[t] @ np.swapaxes(st.R, 1, 2))
        wrench = self._wrench[s]
        return ImitationErrors(
            wrist_pos=np.linalg.norm(st.pos - h.wrist_pos[t], axis=-1),
            wrist_rot=np.linalg.norm(rot, axis=-1),
            tips=dist[:, tips],
            level1=dist[:, l1],
            level2=dist[:, l2],
            wrist_lin_vel=np.linalg.norm(st.vel - h.wrist_vel[t], axis=-1),
            wrist_ang_vel=np.linalg.norm(st.angvel - h.wrist_angvel[t], axis=-1),
            joint_vel=np.abs(st.dq - h.dq[t]),
            joint_power=np.sum(np.abs(st.torque * st.dq), axis=-1),
            wrist_power=np.abs(np.sum(wrench[:, :3] * st.vel, -1))
            + np.abs(np.sum(wrench[:, 3:] * st.angvel, -1)),
        )

    def _object_errors(self, s: Side, objs: list[ObjectState], t: np.ndarray):
        k = self.reference.hands[s].object_index
        o, ref = objs[k], self.reference.objects[k]
        P = ref.pose[t]
        e_p = np.linalg.norm(o.pos - P[:, :3, 3], axis=-1)
        e_r = np.linalg.norm(matrix_to_axis_angle(P[:, :3, :3] @ np.swapaxes(o.R, 1, 2)), axis=-1)
        e_v = np.linalg.norm(o.vel - ref.vel[t], axis=-1)
        e_w = np.linalg.norm(o.angvel - ref.angvel[t], axis=-1)
        return e_p, e_r, e_v, e_w

    def curriculum_scale(self) -> float:
        """Current threshold scale s (1 → 0.7) of this stage's curriculum."""
        c = self.cfg.curriculum
        horizon = c.residual_frames if self.with_objects else c.imitation_frames
        return float(threshold_scale(self.total_frames, horizon, c.s_min))

    def _reward_and_termination(self, state):
        hands, objs = state
        t = self.frame
        s_cur = self.curriculum_scale()
        rewards = []
        term = np.zeros(self.num_envs, bool)
        info: dict[str, float] = {}
        for s in self.sides:
            st = hands[s]
            e = self._hand_errors(s, st, t)
            h = self.reference.hands[s]
            force = np.linalg.norm(st.tip_force, axis=-1)
            touching = force > 1e-6
            self._last_contact[s] = np.where(touching, self.frame[:, None], self._last_contact[s])
            if self.with_objects and h.object_index >= 0:
                e_p, e_r, e_v, e_w = self._object_errors(s, objs, t)
                hd = self._human_tip_dist[s][t]
                terms = residual_terms(
                    e,
                    e_p,
                    e_r,
                    e_v,
                    e_w,
                    force,
                    hd,
                    self.cfg.imitation_weights,
                    self.cfg.residual_weights,
                )
                recent = (self.frame[:, None] - self._last_contact[s]) <= 8
                term |= residual_termination(
                    e_p, e_r, hd, recent, self.episode_frame, s_cur, self.cfg.terminations
                )
                info[f"/{s}/obj_pos_err_m"] = float(np.mean(e_p))
            else:
                terms = imitation_terms(e, self.cfg.imitation_weights)
            term |= imitation_termination(
                e.tips, e.level1, e.level2, self.episode_frame, s_cur, self.cfg.terminations
            )
            rewards.append(sum_terms(terms))
            for name, v in terms.items():
                info[f"/{s}/reward/{name}"] = float(np.mean(v))
            info[f"/{s}/tip_err_m"] = float(np.mean(e.tips))
        return np.mean(rewards, axis=0), term, info

    # ------------------------------------------------------------------ reference as action
    def tracker_actions(self, hands: dict[Side, HandState] | None = None) -> np.ndarray:
        """(N, A) actions of a PD tracker that follows the kinematic reference (Retarget-only).

        Wrist: force/torque from a PD law on the next frame's retargeted wrist pose plus the
        wrist damping fed forward; joints: the next frame's retargeted angles, pre-compensated
        for the target moving average. Everything clipped to [−1, 1].
        """
        if hands is None:
            hands = self._gather()[0]
        g = self.cfg.tracker
        sc = self.cfg.scene
        tn = np.minimum(self.frame + 1, self.reference.num_frames - 1)
        out = []
        for s in self.sides:
            st, h, kin = hands[s], self.reference.hands[s], self.kin[s]
            F = (
                g.pos_kp * (h.wrist_pos[tn] - st.pos)
                + g.pos_kd * (h.wrist_vel[tn] - st.vel)
                + sc.wrist_lin_damping * h.wrist_vel[tn]
            )
            rot = matrix_to_axis_angle(h.wrist_rot[tn] @ np.swapaxes(st.R, 1, 2))
            tau = (
                g.rot_kp * rot
                + g.rot_kd * (h.wrist_angvel[tn] - st.angvel)
                + sc.wrist_ang_damping * h.wrist_angvel[tn]
            )
            e = self.cfg.target_ema
            want = (h.q[tn] - (1.0 - e) * self._targets[s]) / e
            want = np.clip(want, kin.lower, kin.upper)
            a_q = 2.0 * (want - kin.lower) / (kin.upper - kin.lower) - 1.0
            out.append(
                np.concatenate(
                    [F / self.cfg.force_scale, tau / self.cfg.torque_scale, a_q], axis=1
                )
            )
        return np.clip(np.concatenate(out, axis=1), -1.0, 1.0)

    # ------------------------------------------------------------------ observations
    def obs_layout(self) -> dict[str, slice]:
        """Named slices of the observation vector."""
        out, k = {}, 0
        for s in self.sides:
            parts = [("proprio", PROPRIO_DIM), ("target", TARGET_DIM)]
            if self.with_objects:
                parts.append(("object", OBJECT_DIM))
            for name, n in parts:
                out[f"{s}/{name}"] = slice(k, k + n)
                k += n
        return out

    def _observe(self, state) -> TensorDict:
        hands, objs = state
        T = self.reference.num_frames
        tn = np.minimum(self.frame + 1, T - 1)  # next-frame targets
        parts, priv = [], []
        N = self.num_envs
        for s in self.sides:
            st, h = hands[s], self.reference.hands[s]
            quat = matrix_to_quat(st.R)
            proprio = np.concatenate(
                [st.q, np.cos(st.q), np.sin(st.q), np.zeros((N, 3)), quat, st.vel, st.angvel],
                axis=1,
            )
            drot = matrix_to_axis_angle(h.wrist_rot[tn] @ np.swapaxes(st.R, 1, 2))
            wrist = np.concatenate(
                [
                    h.wrist_pos[tn] - st.pos,
                    h.wrist_vel[tn],
                    h.wrist_vel[tn] - st.vel,
                    drot,
                    h.wrist_angvel[tn],
                    h.wrist_angvel[tn] - st.angvel,
                ],
                axis=1,
            )
            prev = self._prev_bodies(s, st)
            bvel = (st.bodies - prev) / self.cfg.scene.dt
            links = slice(1, 18)
            bodies = np.concatenate(
                [
                    h.bodies[tn][:, links] - st.bodies[:, links],
                    h.body_vel[tn][:, links],
                    h.body_vel[tn][:, links] - bvel[:, links],
                ],
                axis=2,
            ).reshape(N, -1)
            parts += [proprio, wrist, bodies]
            if self.with_objects:
                parts.append(self._object_obs(s, st, objs, tn))
            priv.append(st.dq)
        self._fresh[:] = False
        obs = torch.as_tensor(np.concatenate(parts, axis=1), dtype=torch.float32)
        privileged = torch.as_tensor(np.concatenate(priv, axis=1), dtype=torch.float32)
        groups = {
            "policy": obs,
            "critic": torch.cat([obs, privileged], dim=1),
            "reference_action": torch.as_tensor(self.tracker_actions(hands), dtype=torch.float32),
        }
        if len(self.sides) > 1:
            layout = self.obs_layout()
            for s in self.sides:
                groups[f"policy_{s}"] = torch.cat(
                    [obs[:, v] for k, v in layout.items() if k.startswith(f"{s}/")], dim=1
                )
        return make_obs(groups, self.num_envs)

    def _prev_bodies(self, s: Side, st: HandState) -> np.ndarray:
        """Link origins one policy step ago (N, 18, 3); environments reset since then get their
        current positions (zero finite-difference velocity on their first frame)."""
        prev = self._prev_body_pos.get(s)
        if prev is None:
            prev = st.bodies.copy()
        prev[self._fresh] = st.bodies[self._fresh]
        self._prev_body_pos[s] = st.bodies.copy()
        return prev

    def _object_obs(self, s: Side, st: HandState, objs, tn) -> np.ndarray:
        N = self.num_envs
        h = self.reference.hands[s]
        k = h.object_index
        if k < 0:
            return np.zeros((N, OBJECT_DIM))
        o, ref, oi = objs[k], self.reference.objects[k], self.index.objects[k]
        rel = np.einsum("nji,nj->ni", st.R, o.pos - st.pos)
        m = self.models[0]
        mass_com = np.concatenate(
            [np.full((N, 1), oi.mass), np.broadcast_to(m.body_ipos[oi.body], (N, 3))], axis=1
        )
        grav = self.gravity[None] * self._gravity_scale[:, None]
        local = np.einsum("nji,nkj->nki", o.R, st.bodies - o.pos[:, None])
        d, _ = self._obj_tree[k].query(local.reshape(-1, 3))
        P = ref.pose[tn]
        drot = matrix_to_axis_angle(P[:, :3, :3] @ np.swapaxes(o.R, 1, 2))
        return np.concatenate(
            [
                rel,
                matrix_to_quat(o.R),
                o.vel,
                o.angvel,
                mass_com,
                grav,
                np.linalg.norm(st.tip_force, axis=-1),
                d.reshape(N, 18),
                self._human_tip_dist[s][tn],
                np.broadcast_to(self._bps[k], (N, 128)),
                P[:, :3, 3] - o.pos,
                drot,
                ref.vel[tn],
                ref.angvel[tn],
            ],
            axis=1,
        )


def _as_demo_object(o: ObjectReference) -> DemoObject:
    return DemoObject(o.name, o.pose, o.vertices, o.faces)


__all__ = ["EnvConfig", "HandState", "ManipTransEnv", "ObjectState"]
