"""Roll a policy through a whole reference, record it, and score it with the paper's metrics.

A policy is any ``obs TensorDict -> actions (N, A)`` callable (a trained actor, a frozen
imitator plus residual, ...). ``None`` means the Retarget-only baseline: the environment's
``reference_action`` group, a PD tracker of the kinematic retarget.

Rollouts run with ``early_termination`` off so that a full-length trajectory is always recorded;
the frame at which the stage's termination rules would have ended the episode is kept
(``failed_at``) and success is judged by the metrics' thresholds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch
from tensordict import TensorDict
from tqdm import tqdm

from maniptrans_training.demo import Side
from maniptrans_training.env import EnvConfig, ManipTransEnv, Reference
from maniptrans_training.env.mujoco_env import HandState, ObjectState
from maniptrans_training.errors import TrainingError
from maniptrans_training.metrics import RolloutMetrics, SuccessThresholds, evaluate_rollout
from maniptrans_training.rotations import matrix_to_quat, quat_to_matrix
from maniptrans_training.sim_hand import HandKinematics

Policy = Callable[[TensorDict], torch.Tensor]


@dataclass(frozen=True)
class HandRecord:
    """One hand over T frames (world = sim frame)."""

    q: np.ndarray  # (T, 12) [rad]
    dq: np.ndarray  # (T, 12) [rad/s]
    state: np.ndarray  # (T, 13) position, quaternion x y z w, velocity, angular velocity
    tip_force: np.ndarray  # (T, 15) [N]
    bodies: np.ndarray  # (T, 18, 3) link origins [m]


@dataclass(frozen=True)
class RolloutRecord:
    """A recorded rollout of environment 0.

    Attributes:
        hands: per side the hand record.
        objects: per object the simulated state (T, 13), or the reference's when the
            environment has no objects (stage 1).
        reward: (T,) reward received on arriving at each frame (0 at frame 0).
        actions: (T, A) action applied at each frame (0 at the last one).
        failed_at: first frame at which the termination rules fired, or None.
        simulated_objects: whether ``objects`` come from the simulation.
    """

    hands: dict[Side, HandRecord]
    objects: tuple[np.ndarray, ...]
    reward: np.ndarray
    actions: np.ndarray
    failed_at: int | None
    simulated_objects: bool

    @property
    def num_frames(self) -> int:
        return int(self.reward.shape[0])


def _state13(pos, R, vel, angvel) -> np.ndarray:
    return np.concatenate([pos, matrix_to_quat(R), vel, angvel], axis=-1)


def _object_state_from_pose(pose: np.ndarray, vel: np.ndarray, angvel: np.ndarray) -> np.ndarray:
    return _state13(pose[:, :3, 3], pose[:, :3, :3], vel, angvel)


def run_rollout(
    reference: Reference,
    config: EnvConfig | None = None,
    policy: Policy | None = None,
    progress: bool = False,
) -> RolloutRecord:
    """Run one environment from frame 0 to the end of ``reference`` and record it.

    ``config`` defaults to the stage-2 environment (with objects)."""
    config = config or EnvConfig(stage="residual")
    cfg = replace(config, num_envs=1, rsi=False, auto_reset=False, early_termination=False)
    env = ManipTransEnv(reference, cfg)
    obs = env.reset()
    T = reference.num_frames
    frames: list[tuple[dict[Side, HandState], list[ObjectState]]] = [env.snapshot()]
    rewards = [0.0]
    actions = []
    failed_at = None
    steps = range(1, T)
    for t in tqdm(steps, desc="rollout", unit="frame", disable=not progress, leave=False):
        a = obs["reference_action"] if policy is None else policy(obs)
        a = torch.as_tensor(a, dtype=torch.float32)
        if a.shape != (1, env.num_actions):
            raise TrainingError(
                f"policy returned {tuple(a.shape)}, expected (1, {env.num_actions})"
            )
        actions.append(a[0].numpy().astype(float))
        obs, r, _, _ = env.step(a)
        rewards.append(float(r[0]))
        if failed_at is None and bool(env.last_failed[0]):
            failed_at = t
        frames.append(env.snapshot())
    actions.append(np.zeros(env.num_actions))
    hands = {}
    for s in reference.sides:
        hs = [f[0][s] for f in frames]
        hands[s] = HandRecord(
            q=np.stack([h.q[0] for h in hs]),
            dq=np.stack([h.dq[0] for h in hs]),
            state=np.stack([_state13(h.pos[0], h.R[0], h.vel[0], h.angvel[0]) for h in hs]),
            tip_force=np.stack([h.tip_force[0].reshape(15) for h in hs]),
            bodies=np.stack([h.bodies[0] for h in hs]),
        )
    if env.with_objects:
        objects = tuple(
            np.stack([_state13(o.pos[0], o.R[0], o.vel[0], o.angvel[0]) for o in per_obj])
            for per_obj in zip(*[f[1] for f in frames], strict=True)
        )
    else:
        objects = tuple(
            _object_state_from_pose(o.pose, o.vel, o.angvel) for o in reference.objects
        )

    return RolloutRecord(
        hands, objects, np.array(rewards), np.stack(actions), failed_at, env.with_objects
    )


def evaluate_record(
    record: RolloutRecord,
    reference: Reference,
    thresholds: SuccessThresholds | None = None,
) -> RolloutMetrics:
    """The paper's metrics of one rollout against the human demo (tips, joints, objects)."""
    thresholds = thresholds or SuccessThresholds()
    tips, tips_ref, joints, joints_ref = [], [], [], []
    for s in reference.sides:
        h, rec = reference.hands[s], record.hands[s]
        tip_links = HandKinematics(s).tip_links
        tips.append(rec.bodies[:, tip_links])
        tips_ref.append(h.human_tips)
        keep = h.human_links != 0  # every mapped point but the wrist
        joints.append(rec.bodies[:, h.human_links[keep]])
        joints_ref.append(h.human_points[:, keep])
    obj_R = obj_R_ref = obj_p = obj_p_ref = None
    used = sorted({reference.hands[s].object_index for s in reference.sides} - {-1})
    if record.simulated_objects and used:
        obj_p = np.stack([record.objects[k][:, :3] for k in used], axis=1)
        obj_R = np.stack([quat_to_matrix(record.objects[k][:, 3:7]) for k in used], axis=1)
        obj_p_ref = np.stack([reference.objects[k].pose[:, :3, 3] for k in used], axis=1)
        obj_R_ref = np.stack([reference.objects[k].pose[:, :3, :3] for k in used], axis=1)
    return evaluate_rollout(
        np.concatenate(tips, axis=1),
        np.concatenate(tips_ref, axis=1),
        np.concatenate(joints, axis=1),
        np.concatenate(joints_ref, axis=1),
        obj_R,
        obj_R_ref,
        obj_p,
        obj_p_ref,
        thresholds,
    )
