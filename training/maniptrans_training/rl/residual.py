"""Residual composition around a frozen base: ``a = clip(a_base + scale·Δa, −1, 1)``.

This is the part of ManipTrans that no PPO library has. It is an environment wrapper rather
than a new PPO: the residual policy is an ordinary rsl-rl actor whose "environment" already
contains the frozen base, so the library's losses, GAE and KL schedule apply unchanged and the
log-probabilities are those of Δa, the only stochastic quantity. The residual actor is built
with ``PolicyConfig(output_gain=0.01, init_std=e⁻¹)`` so it starts near zero (facts, stage 2).

Bases:

* the stage-1 imitator (ManipTrans): :class:`~maniptrans_training.rl.checkpoint.FrozenPolicy`;
* the kinematic reference (the "Retarget + Residual" baseline): :class:`ReferenceAction`;
* none (the "RL-only" baseline): :class:`ZeroAction`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from tensordict import TensorDict

from maniptrans_training.errors import TrainingError
from maniptrans_training.rl.vec_env import VecEnv, VecEnvWrapper

BasePolicy = Callable[[TensorDict], torch.Tensor]
"""obs TensorDict (batch N) -> base action (N, A) in [−1, 1]."""

RESIDUAL_SCALE = 2.0
"""Δa multiplier (facts: a = clip(a_I + 2·Δa_R))."""


def compose(
    base: torch.Tensor, delta: torch.Tensor, scale: float = RESIDUAL_SCALE
) -> torch.Tensor:
    """``clip(base + scale·delta, −1, 1)``; both (N, A)."""
    if base.shape != delta.shape:
        raise TrainingError(
            f"compose: base action {tuple(base.shape)} and residual {tuple(delta.shape)} differ"
        )
    return torch.clamp(base + scale * delta, -1.0, 1.0)


class ReferenceAction:
    """Base = the env's ``reference_action`` group (the kinematic retarget as an action)."""

    def __call__(self, obs: TensorDict) -> torch.Tensor:
        if "reference_action" not in obs.keys():
            raise TrainingError(
                "ReferenceAction: the environment has no 'reference_action' observation group; "
                f"found {sorted(obs.keys())}"
            )
        return obs["reference_action"]


class ZeroAction:
    """Base = 0 (mid-range targets): the residual learns everything (RL-only)."""

    def __init__(self, num_actions: int) -> None:
        self.num_actions = num_actions

    def __call__(self, obs: TensorDict) -> torch.Tensor:
        return torch.zeros(obs.batch_size[0], self.num_actions)


class PerHandBase:
    """Concatenate per-hand bases in the env's action order (bimanual: right then left).

    Each entry maps the full observation to its hand's slice of the action, e.g. a side's
    imitator reading that side's groups.
    """

    def __init__(self, parts: Sequence[BasePolicy]) -> None:
        self.parts = list(parts)

    def __call__(self, obs: TensorDict) -> torch.Tensor:
        return torch.cat([p(obs) for p in self.parts], dim=-1)


def correction_penalty(base: torch.Tensor, composed: torch.Tensor, weight: float) -> torch.Tensor:
    """(N,) ``weight · mean((a − a_base)²)`` over the action dimensions.

    Measured on the composed action after the clip, so the residual pays for what it changes,
    not for pushing against a limit.
    """
    return weight * torch.mean((composed - base) ** 2, dim=-1)


class ResidualVecEnv(VecEnvWrapper):
    """``env`` with a frozen ``base`` inside; the wrapper's action is the residual Δa.

    Observations gain the group ``base_action`` (N, A), the base's action for the current
    observation, so the residual actor sees what it corrects. ``last_action`` holds the
    composed action of the latest step (N, A). ``penalty`` > 0 subtracts
    :func:`correction_penalty` from the reward (logged as ``/reward/correction``), so the
    residual leaves the base alone where the base already does the job.
    """

    def __init__(
        self, env: VecEnv, base: BasePolicy, scale: float = RESIDUAL_SCALE, penalty: float = 0.0
    ) -> None:
        if not (penalty >= 0.0 and penalty < float("inf")):
            raise TrainingError(f"ResidualVecEnv: penalty must be finite and >= 0, got {penalty}")
        self.env = env
        self.base = base
        self.scale = float(scale)
        self.penalty = float(penalty)
        self.num_envs = env.num_envs
        self.num_actions = env.num_actions
        self.max_episode_length = env.max_episode_length
        self.device = env.device
        self.cfg = getattr(env, "cfg", None)
        self._obs = self._augment(env.get_observations())
        self.last_action = torch.zeros(self.num_envs, self.num_actions)

    def _augment(self, obs: TensorDict) -> TensorDict:
        with torch.no_grad():
            a = self.base(obs)
        if a.shape != (self.num_envs, self.num_actions):
            raise TrainingError(
                f"ResidualVecEnv: base action expected ({self.num_envs}, {self.num_actions}), "
                f"found {tuple(a.shape)}"
            )
        out = obs.clone(recurse=False)
        out["base_action"] = a.detach().to(torch.float32)
        return out

    def get_observations(self) -> TensorDict:
        return self._obs

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        base = self._obs["base_action"]
        a = compose(base, actions, self.scale)
        self.last_action = a
        obs, rew, done, extras = self.env.step(a)
        if self.penalty > 0.0:
            cost = correction_penalty(base, a, self.penalty)
            rew = rew - cost
            extras.setdefault("log", {})["/reward/correction"] = -cost.mean()
        self._obs = self._augment(obs)
        return self._obs, rew, done, extras
