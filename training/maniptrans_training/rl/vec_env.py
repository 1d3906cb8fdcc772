"""The environment contract of the learners: rsl-rl-lib's ``VecEnv`` with our observation groups.

Shapes (N = ``num_envs``, A = ``num_actions``)::

    get_observations() -> TensorDict, batch_size [N], one (N, d_g) float tensor per group
    step(actions (N, A) in [-1, 1]) -> (obs TensorDict, rewards (N,), dones (N,), extras)

``dones`` is 1 where an episode ended in this step (termination or time-out); the returned
observation of such an environment is already the first one of its next episode. ``extras``:

* ``"time_outs"`` (N,): 1 where the episode ended only because it ran out of frames
  (PPO bootstraps those with the value function).
* ``"log"``: ``{"/group/name": scalar or tensor}`` averaged into TensorBoard.

Observation groups used here:

* ``"policy"`` — the actor's input (stage 1: proprioception + targets).
* ``"critic"`` — the critic's input (policy + privileged terms); optional.
* ``"reference_action"`` — optional, (N, A): the kinematic reference mapped to the action
  space, the base of the "Retarget + Residual" baseline.
* ``"base_action"`` — added by :class:`~maniptrans_training.rl.residual.ResidualVecEnv`.

The simulator stays behind this interface, so a GPU backend can replace the CPU one.
"""

from __future__ import annotations

import torch
from rsl_rl.env import VecEnv
from tensordict import TensorDict

from maniptrans_training.errors import TrainingError

__all__ = ["VecEnv", "VecEnvWrapper", "check_env", "make_obs"]


class VecEnvWrapper(VecEnv):
    """A VecEnv around ``self.env``: the episode counters are the wrapped environment's, and
    attributes the wrapper does not have (curriculum knobs, ``reference``, ``snapshot()``...)
    are looked up there. Subclasses set ``self.env`` first in ``__init__``."""

    env: VecEnv

    @property
    def episode_length_buf(self) -> torch.Tensor:  # type: ignore[override]
        return self.env.episode_length_buf

    @episode_length_buf.setter
    def episode_length_buf(self, value: torch.Tensor) -> None:
        self.env.episode_length_buf = value

    def __getattr__(self, name: str):
        if name == "env":  # not set yet: no recursion into __getattr__
            raise AttributeError(name)
        return getattr(self.env, name)


def make_obs(groups: dict[str, torch.Tensor], num_envs: int, device: str = "cpu") -> TensorDict:
    """Observation TensorDict from ``{group: (N, d)}`` tensors."""
    return TensorDict(groups, batch_size=[num_envs], device=device)


def check_env(env: VecEnv, groups: list[str] | tuple[str, ...] = ("policy",)) -> None:
    """Raise :class:`TrainingError` unless ``env`` honours the contract above for ``groups``."""
    name = type(env).__name__
    n = int(env.num_envs)
    obs = env.get_observations()
    if not isinstance(obs, TensorDict):
        raise TrainingError(f"{name}.get_observations(): expected a TensorDict, found {type(obs)}")
    for g in groups:
        if g not in obs.keys():
            raise TrainingError(
                f"{name}: observation group {g!r} missing; found {sorted(obs.keys())}"
            )
    for g in obs.keys():
        x = obs[g]
        if x.ndim != 2 or x.shape[0] != n:
            raise TrainingError(
                f"{name}: observation group {g!r} expected shape ({n}, d), found {tuple(x.shape)}"
            )
        if not torch.all(torch.isfinite(x)):
            raise TrainingError(f"{name}: observation group {g!r} has non-finite values")
    if "reference_action" in obs.keys() and obs["reference_action"].shape[1] != env.num_actions:
        raise TrainingError(
            f"{name}: 'reference_action' expected ({n}, {env.num_actions}), "
            f"found {tuple(obs['reference_action'].shape)}"
        )
