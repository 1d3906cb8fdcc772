"""Weights-only checkpoints: config and facts as JSON text, weights and normaliser as tensors.

Loading uses ``torch.load(..., weights_only=True)``, which refuses any pickled object, so a
checkpoint from elsewhere cannot run code. Writes are atomic (temporary file + rename).

Layout of the saved dict::

    format       "maniptrans-ppo/1"
    config       TrainConfig as JSON          meta        JSON object (stage, task, side ...)
    obs_groups   JSON {"actor": [...], ...}   obs_dims    JSON {group: width}
    num_actions  int                          iteration, env_steps  int
    actor, critic     state dicts (the normaliser's running mean/var/count are buffers in them)
    optimizer         Adam state dict
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from rsl_rl.models import MLPModel
from tensordict import TensorDict

from maniptrans_training.errors import TrainingError
from maniptrans_training.rl.config import TrainConfig, config_from_json, config_to_json

if TYPE_CHECKING:
    from maniptrans_training.rl.ppo import Learner

FORMAT = "maniptrans-ppo/1"


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint (see the module docstring)."""

    path: Path
    config: TrainConfig
    meta: dict[str, Any]
    obs_groups: dict[str, list[str]]
    obs_dims: dict[str, int]
    num_actions: int
    iteration: int
    env_steps: int
    actor_state: dict[str, torch.Tensor]
    critic_state: dict[str, torch.Tensor]
    optimizer_state: dict[str, Any] | None


def save_checkpoint(learner: Learner, path: str | Path, extra_meta: dict | None = None) -> Path:
    """Write ``learner``'s weights, normaliser, optimiser and config to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {**learner.meta, **(extra_meta or {})}
    data = {
        "format": FORMAT,
        "config": config_to_json(learner.cfg),
        "meta": json.dumps(meta, sort_keys=True),
        "obs_groups": json.dumps(learner.obs_groups, sort_keys=True),
        "obs_dims": json.dumps(learner.obs_dims, sort_keys=True),
        "num_actions": int(learner.env.num_actions),
        "iteration": int(learner.iteration),
        "env_steps": int(learner.env_steps),
        "actor": learner.actor.state_dict(),
        "critic": learner.critic.state_dict(),
        "optimizer": learner.alg.optimizer.state_dict(),
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(data, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _json(data: dict, key: str, path: Path) -> Any:
    if key not in data or not isinstance(data[key], str):
        raise TrainingError(f"{path}: checkpoint key {key!r} missing or not JSON text")
    try:
        return json.loads(data[key])
    except json.JSONDecodeError as e:
        raise TrainingError(f"{path}: checkpoint key {key!r} is not valid JSON ({e})") from e


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint` (no unpickling)."""
    path = Path(path)
    if not path.is_file():
        raise TrainingError(f"checkpoint {path} does not exist")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises UnpicklingError, RuntimeError, EOFError ...
        raise TrainingError(f"{path}: not a weights-only torch checkpoint ({e})") from e
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise TrainingError(f"{path}: expected checkpoint format {FORMAT!r}, found {found!r}")
    for key in ("actor", "critic"):
        if not isinstance(data.get(key), dict):
            raise TrainingError(f"{path}: checkpoint key {key!r} must be a state dict")
    return Checkpoint(
        path=path,
        config=config_from_json(TrainConfig, data["config"], f"{path}:config"),
        meta=_json(data, "meta", path),
        obs_groups=_json(data, "obs_groups", path),
        obs_dims={k: int(v) for k, v in _json(data, "obs_dims", path).items()},
        num_actions=int(data["num_actions"]),
        iteration=int(data["iteration"]),
        env_steps=int(data["env_steps"]),
        actor_state=data["actor"],
        critic_state=data["critic"],
        optimizer_state=data.get("optimizer"),
    )


def dummy_obs(obs_dims: dict[str, int], n: int = 1) -> TensorDict:
    """Zero observations with the given group widths (to build a model without an env)."""
    return TensorDict({k: torch.zeros(n, d) for k, d in obs_dims.items()}, batch_size=[n])


class FrozenPolicy(torch.nn.Module):
    """A checkpoint's actor, deterministic and frozen: ``obs TensorDict -> (N, A)`` mean action.

    Attributes:
        obs_groups: the groups it reads, in order; ``checkpoint`` the source.
    """

    def __init__(self, ck: Checkpoint) -> None:
        super().__init__()
        from maniptrans_training.rl.ppo import build_actor

        self.checkpoint = ck
        self.obs_groups = list(ck.obs_groups["actor"])
        self.num_actions = ck.num_actions
        self.model: MLPModel = build_actor(
            dummy_obs(ck.obs_dims), ck.obs_groups, ck.num_actions, ck.config.policy
        )
        self.model.load_state_dict(ck.actor_state)
        self.model.eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    def forward(self, obs: TensorDict) -> torch.Tensor:
        for g in self.obs_groups:
            if g not in obs.keys():
                raise TrainingError(
                    f"policy {self.checkpoint.path} reads observation group {g!r}; "
                    f"found {sorted(obs.keys())}"
                )
            want = self.checkpoint.obs_dims[g]
            if obs[g].shape[-1] != want:
                raise TrainingError(
                    f"policy {self.checkpoint.path}: group {g!r} expected width {want}, "
                    f"found {obs[g].shape[-1]}"
                )
        with torch.no_grad():
            return self.model(obs, stochastic_output=False)


def load_policy(path: str | Path) -> FrozenPolicy:
    """The deterministic, frozen actor of a checkpoint (for stage 2 and for rollouts)."""
    return FrozenPolicy(load_checkpoint(path))
