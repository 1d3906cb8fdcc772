"""Training I's ManipTrans environment as the two stages need it.

``ManipTransEnv`` (``maniptrans_training.env``) already honours :mod:`.vec_env` (groups
``policy``, ``critic``, ``reference_action``) and names the slices of ``policy`` in
``obs_layout()`` (``"<side>/proprio"``, ``"<side>/target"``, ``"<side>/object"``).
:class:`StageEnv` adds what the stages need on top:

* ``<side>/imitation`` — that hand's proprioception + targets, the stage-1 imitator's input, so
  one imitator checkpoint reads the same group in a one-hand stage-1 environment and in a
  bimanual stage-2 environment;
* the stage-2 physics curriculum (gravity ramp, raised friction) through ``set_physics``;
* hiding the fingertip contact forces from the observation (the "tactile as observation"
  ablation).

:class:`ConcatVecEnv` stacks environments of several demos into one batch (stage 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from tensordict import TensorDict

from maniptrans_training.errors import TrainingError
from maniptrans_training.rl.vec_env import VecEnv, VecEnvWrapper

CONTACT_SLICE = slice(20, 25)  # fingertip contact forces inside a hand's "object" block
# ... the object's next reference position minus its position [m], then the rotation from it
# to its next reference rotation as an axis-angle [rad]
OBJECT_POS_ERROR_SLICE = slice(176, 179)
OBJECT_ROT_ERROR_SLICE = slice(179, 182)


@dataclass(frozen=True)
class PhysicsCurriculum:
    """Stage-2 physics relaxation, as functions of frames simulated per environment.

    Attributes:
        gravity_relax: ramp object gravity 0 → 1 over ``gravity_frames`` (resampled every
            ``block`` frames); off: full gravity from the start.
        raise_friction: object friction ``friction_start``× → 1× of ``friction_base`` over the
            same ramp; off: the base friction from the start.
    """

    gravity_relax: bool = True
    raise_friction: bool = True
    gravity_frames: int = 1920
    block: int = 32
    friction_start: float = 3.0
    friction_base: float = 2.0

    def ramp(self, frames: float) -> float:
        """0 → 1, piecewise constant over blocks of ``block`` frames."""
        f = np.floor(frames / self.block) * self.block
        return float(np.clip(f / self.gravity_frames, 0.0, 1.0))

    def gravity(self, frames: float) -> float:
        return self.ramp(frames) if self.gravity_relax else 1.0

    def friction(self, frames: float) -> float:
        if not self.raise_friction:
            return self.friction_base
        g = self.ramp(frames)
        return self.friction_base * (self.friction_start + (1.0 - self.friction_start) * g)


class StageEnv(VecEnvWrapper):
    """A ``ManipTransEnv`` with imitation groups, physics curriculum and tactile masking.

    Args:
        env: the MuJoCo environment (Training I), or any VecEnv with ``obs_layout()``.
        physics: stage-2 physics curriculum, or None to leave gravity and friction alone.
        tactile_obs: False zeroes the fingertip contact forces in every observation group.
    """

    def __init__(
        self, env, physics: PhysicsCurriculum | None = None, tactile_obs: bool = True
    ) -> None:
        self.env = env
        self.cfg = getattr(env, "cfg", None)
        self.num_envs = int(env.num_envs)
        self.num_actions = int(env.num_actions)
        self.max_episode_length = env.max_episode_length
        self.device = "cpu"
        self.physics = physics
        self.tactile_obs = tactile_obs
        self.layout: dict[str, slice] = env.obs_layout()
        self.sides = tuple(env.sides)
        self._apply_physics()
        self._obs = self._group(env.get_observations())

    @property
    def frames_per_env(self) -> float:
        """Frames simulated per environment so far (the physics curriculum's clock)."""
        return float(self.env.total_frames) / self.num_envs

    def _apply_physics(self) -> None:
        if self.physics is None:
            return
        f = self.frames_per_env
        self.env.set_physics(
            gravity_scale=np.full(self.num_envs, self.physics.gravity(f)),
            friction=np.full(self.num_envs, self.physics.friction(f)),
        )

    def _group(self, obs: TensorDict) -> TensorDict:
        return stage_groups(obs, self.layout, self.sides, self.tactile_obs)

    def get_observations(self) -> TensorDict:
        return self._obs

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        self._apply_physics()
        obs, rew, done, extras = self.env.step(actions)
        self._obs = self._group(obs)
        if self.physics is not None:
            extras.setdefault("log", {})["/curriculum/gravity"] = self.physics.gravity(
                self.frames_per_env
            )
        return self._obs, rew, done, extras


def stage_groups(
    obs: TensorDict, layout: dict[str, slice], sides: Sequence[str], tactile_obs: bool = True
) -> TensorDict:
    """``obs`` plus ``<side>/imitation`` groups; contact forces zeroed unless ``tactile_obs``.

    ``layout`` is the environment's ``obs_layout()`` (named slices of ``policy``).
    """
    out = obs.clone(recurse=False)
    policy = obs["policy"]
    if not tactile_obs:
        policy = policy.clone()
        for side in sides:
            block = layout.get(f"{side}/object")
            if block is not None:
                a = block.start + CONTACT_SLICE.start
                policy[:, a : a + CONTACT_SLICE.stop - CONTACT_SLICE.start] = 0.0
        out["policy"] = policy
        if "critic" in obs.keys():
            critic = obs["critic"].clone()
            critic[:, : policy.shape[1]] = policy
            out["critic"] = critic
        for side in sides:
            if f"policy_{side}" in obs.keys():
                out[f"policy_{side}"] = torch.cat(
                    [policy[:, v] for k, v in layout.items() if k.startswith(f"{side}/")], dim=1
                )
    for side in sides:
        own = [policy[:, layout[f"{side}/proprio"]], policy[:, layout[f"{side}/target"]]]
        out[f"{side}/imitation"] = torch.cat(own, dim=1)
    return out


class ConcatVecEnv(VecEnv):
    """Several environments with identical observation groups stepped as one batch.

    Stage 1 trains one imitator on many demos: one environment per demo, concatenated here.
    """

    def __init__(self, envs: Sequence[VecEnv]) -> None:
        if not envs:
            raise TrainingError("ConcatVecEnv: needs at least one environment")
        self.envs = list(envs)
        first = self.envs[0].get_observations()
        dims = {k: first[k].shape[1] for k in first.keys()}
        for e in self.envs[1:]:
            o = e.get_observations()
            d = {k: o[k].shape[1] for k in o.keys()}
            if d != dims or e.num_actions != self.envs[0].num_actions:
                raise TrainingError(
                    f"ConcatVecEnv: environments differ: groups {dims} / {d}, actions "
                    f"{self.envs[0].num_actions} / {e.num_actions}"
                )
        self.num_envs = sum(e.num_envs for e in self.envs)
        self.num_actions = self.envs[0].num_actions
        self.max_episode_length = max(int(e.max_episode_length) for e in self.envs)
        self.device = "cpu"
        self.cfg = None
        self.episode_length_buf = torch.zeros(self.num_envs, dtype=torch.long)
        self._splits = [e.num_envs for e in self.envs]

    def get_observations(self) -> TensorDict:
        return torch.cat([e.get_observations() for e in self.envs], dim=0)

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        outs = [e.step(a) for e, a in zip(self.envs, actions.split(self._splits), strict=True)]
        obs = torch.cat([o[0] for o in outs], dim=0)
        rew = torch.cat([o[1] for o in outs])
        done = torch.cat([o[2] for o in outs])
        log: dict[str, list[float]] = {}
        for o in outs:
            for k, v in o[3].get("log", {}).items():
                log.setdefault(k, []).append(float(torch.as_tensor(v).float().mean()))
        extras = {
            "time_outs": torch.cat([o[3]["time_outs"] for o in outs]),
            "log": {k: float(np.mean(v)) for k, v in log.items()},
        }
        return obs, rew, done, extras
