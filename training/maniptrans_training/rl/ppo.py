"""PPO wiring: rsl-rl-lib's models, rollout storage and algorithm, driven by our own loop.

What comes from rsl-rl-lib (maintained, tested): the MLP actor/critic with running observation
normalisation, the Gaussian action distribution, GAE, the clipped surrogate and value losses, the
KL-adaptive learning rate and time-out bootstrapping. What is ours, and why:

* the iteration loop (~40 lines): rsl-rl's ``OnPolicyRunner`` loads checkpoints with
  ``weights_only=False`` (unpickling) and snapshots git state into the log directory; ours
  writes weights-only checkpoints (:mod:`.checkpoint`), keeps a JSON learning curve for the
  ablation plots and seeds every generator;
* the residual composition (:mod:`.residual`), which rsl-rl has no notion of. It lives in an
  environment wrapper, so PPO itself stays the library's.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rsl_rl.algorithms import PPO
from rsl_rl.models import MLPModel
from rsl_rl.storage import RolloutStorage
from tensordict import TensorDict

from maniptrans_training.errors import TrainingError
from maniptrans_training.rl.config import PolicyConfig, TrainConfig
from maniptrans_training.rl.vec_env import VecEnv, check_env


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (CPU) generators."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def default_obs_groups(obs: TensorDict) -> dict[str, list[str]]:
    """Actor reads ``policy``; critic reads ``critic`` if present, else ``policy``."""
    critic = ["critic"] if "critic" in obs.keys() else ["policy"]
    return {"actor": ["policy"], "critic": critic}


def build_actor(
    obs: TensorDict, obs_groups: dict[str, list[str]], num_actions: int, cfg: PolicyConfig
) -> MLPModel:
    """Stochastic actor (Gaussian, state-independent σ) on the ``actor`` observation set."""
    actor = MLPModel(
        obs,
        obs_groups,
        "actor",
        num_actions,
        hidden_dims=list(cfg.actor_hidden),
        activation=cfg.activation,
        obs_normalization=cfg.obs_normalization,
        distribution_cfg={
            "class_name": "GaussianDistribution",
            "init_std": cfg.init_std,
            "std_type": "log",
            "learn_std": cfg.learn_std,
        },
    )
    if cfg.output_gain is not None:
        last = [m for m in actor.mlp if isinstance(m, torch.nn.Linear)][-1]
        torch.nn.init.orthogonal_(last.weight, gain=cfg.output_gain)
        torch.nn.init.zeros_(last.bias)
    return actor


def build_critic(obs: TensorDict, obs_groups: dict[str, list[str]], cfg: PolicyConfig) -> MLPModel:
    return MLPModel(
        obs,
        obs_groups,
        "critic",
        1,
        hidden_dims=list(cfg.critic_hidden),
        activation=cfg.activation,
        obs_normalization=cfg.obs_normalization,
    )


@dataclass
class IterationStats:
    """One row of the learning curve."""

    iteration: int
    env_steps: int  # total transitions so far
    wall_time: float  # [s] since the start of learn()
    mean_step_reward: float  # mean reward per step in this iteration's rollout
    mean_episode_return: float  # mean return of episodes finished this iteration (NaN if none)
    mean_episode_length: float  # [steps], idem
    value_loss: float
    surrogate_loss: float
    learning_rate: float
    env_log: dict[str, float]


class Learner:
    """PPO on one :class:`VecEnv` with a :class:`TrainConfig`.

    Args:
        env: the environment (see :mod:`.vec_env` for the contract).
        cfg: hyper-parameters; ``cfg.run.seed`` seeds everything before the networks are built.
        obs_groups: ``{"actor": [...], "critic": [...]}``; default :func:`default_obs_groups`.
        log_dir: TensorBoard events and ``history.json`` go here (None: no files).
        meta: JSON-able facts stored in checkpoints (task, stage, side ...).
    """

    def __init__(
        self,
        env: VecEnv,
        cfg: TrainConfig,
        obs_groups: dict[str, list[str]] | None = None,
        log_dir: str | Path | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        seed_everything(cfg.run.seed)
        torch.set_num_threads(max(1, cfg.run.threads))
        self.env = env
        self.cfg = cfg
        self.device = cfg.run.device
        obs = env.get_observations()
        self.obs_groups = obs_groups or default_obs_groups(obs)
        check_env(env, sorted({g for gs in self.obs_groups.values() for g in gs}))
        self.obs_dims = {k: int(obs[k].shape[1]) for k in obs.keys()}
        self.meta = dict(meta or {})
        actor = build_actor(obs, self.obs_groups, env.num_actions, cfg.policy)
        critic = build_critic(obs, self.obs_groups, cfg.policy)
        p = cfg.ppo
        storage = RolloutStorage(
            "rl", env.num_envs, p.num_steps_per_env, obs, [env.num_actions], self.device
        )
        self.alg = PPO(
            actor,
            critic,
            storage,
            num_learning_epochs=p.num_learning_epochs,
            num_mini_batches=p.num_mini_batches(env.num_envs),
            clip_param=p.clip_param,
            gamma=p.gamma,
            lam=p.lam,
            value_loss_coef=p.value_loss_coef,
            entropy_coef=p.entropy_coef,
            learning_rate=p.learning_rate,
            max_grad_norm=p.max_grad_norm,
            use_clipped_value_loss=p.clip_value_loss,
            schedule=p.schedule,
            desired_kl=p.desired_kl,
            device=self.device,
        )
        self.iteration = 0
        self.env_steps = 0
        self.history: list[IterationStats] = []
        self.log_dir = Path(log_dir) if log_dir is not None else None
        self._writer: Any = None

    # ------------------------------------------------------------------------------------------
    @property
    def actor(self) -> MLPModel:
        return self.alg.get_policy()

    @property
    def critic(self) -> MLPModel:
        return self.alg._raw_critic

    def learn(
        self, iterations: int, callback: Callable[[IterationStats], None] | None = None
    ) -> list[IterationStats]:
        """Run ``iterations`` PPO iterations; returns their learning-curve rows."""
        env, alg, n = self.env, self.alg, self.env.num_envs
        horizon = self.cfg.ppo.num_steps_per_env
        reward_scale = self.cfg.ppo.reward_scale
        ep_ret = torch.zeros(n)
        ep_len = torch.zeros(n)
        obs = env.get_observations().to(self.device)
        alg.train_mode()
        t0 = time.monotonic()
        rows = []
        for _ in range(iterations):
            finished_ret: list[float] = []
            finished_len: list[float] = []
            reward_sum = 0.0
            logs: dict[str, list[float]] = {}
            with torch.inference_mode():
                for _ in range(horizon):
                    actions = alg.act(obs)
                    obs, rewards, dones, extras = env.step(actions)
                    if not (
                        torch.all(torch.isfinite(rewards))
                        and torch.all(
                            torch.isfinite(torch.cat([obs[k] for k in obs.keys()], dim=1))
                        )
                    ):
                        raise TrainingError(
                            f"{type(env).__name__}.step returned non-finite rewards or "
                            f"observations at iteration {self.iteration}"
                        )
                    alg.process_env_step(obs, rewards * reward_scale, dones, extras)
                    reward_sum += float(rewards.mean())
                    ep_ret += rewards
                    ep_len += 1
                    ended = dones > 0
                    if torch.any(ended):
                        finished_ret += ep_ret[ended].tolist()
                        finished_len += ep_len[ended].tolist()
                        ep_ret[ended] = 0.0
                        ep_len[ended] = 0.0
                    for k, v in extras.get("log", {}).items():
                        logs.setdefault(k, []).append(float(torch.as_tensor(v).float().mean()))
                alg.compute_returns(obs)
            losses = alg.update()
            self.iteration += 1
            self.env_steps += n * horizon
            row = IterationStats(
                iteration=self.iteration,
                env_steps=self.env_steps,
                wall_time=time.monotonic() - t0,
                mean_step_reward=reward_sum / horizon,
                mean_episode_return=float(np.mean(finished_ret)) if finished_ret else np.nan,
                mean_episode_length=float(np.mean(finished_len)) if finished_len else np.nan,
                value_loss=float(losses["value"]),
                surrogate_loss=float(losses["surrogate"]),
                learning_rate=float(alg.learning_rate),
                env_log={k: float(np.mean(v)) for k, v in logs.items()},
            )
            rows.append(row)
            self.history.append(row)
            self._log(row)
            if callback is not None:
                callback(row)
            if (
                self.log_dir is not None
                and self.cfg.run.save_interval > 0
                and self.iteration % self.cfg.run.save_interval == 0
            ):
                self.save(self.log_dir / f"model_{self.iteration}.pt")
        if self._writer is not None:
            self._writer.flush()
        return rows

    def _log(self, row: IterationStats) -> None:
        if self.log_dir is None:
            return
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if self._writer is None:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(log_dir=str(self.log_dir), flush_secs=10)
            self._writer.add_text("config", f"```\n{self._config_json()}\n```", 0)
        w, it = self._writer, row.iteration
        w.add_scalar("Train/mean_step_reward", row.mean_step_reward, it)
        if not np.isnan(row.mean_episode_return):
            w.add_scalar("Train/mean_episode_return", row.mean_episode_return, it)
            w.add_scalar("Train/mean_episode_length", row.mean_episode_length, it)
        w.add_scalar("Loss/value", row.value_loss, it)
        w.add_scalar("Loss/surrogate", row.surrogate_loss, it)
        w.add_scalar("Loss/learning_rate", row.learning_rate, it)
        for k, v in row.env_log.items():
            w.add_scalar("Env" + k if k.startswith("/") else "Env/" + k, v, it)
        (self.log_dir / "history.json").write_text(
            json.dumps([r.__dict__ for r in self.history], indent=0, default=float)
        )

    def _config_json(self) -> str:
        from maniptrans_training.rl.config import config_to_json

        return config_to_json(self.cfg)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    # ------------------------------------------------------------------------------------------
    def act_deterministic(self, obs: TensorDict) -> torch.Tensor:
        """Mean action (N, A) of the current actor, no exploration noise."""
        with torch.inference_mode():
            return self.actor(obs.to(self.device), stochastic_output=False)

    def save(self, path: str | Path) -> Path:
        from maniptrans_training.rl.checkpoint import save_checkpoint

        return save_checkpoint(self, path)

    def load_state(self, path: str | Path) -> None:
        """Restore weights, normaliser statistics, optimiser and counters from a checkpoint."""
        from maniptrans_training.rl.checkpoint import load_checkpoint

        ck = load_checkpoint(path)
        if ck.obs_dims != self.obs_dims or ck.num_actions != self.env.num_actions:
            raise TrainingError(
                f"{path}: checkpoint was made for observation groups {ck.obs_dims} and "
                f"{ck.num_actions} actions; this environment has {self.obs_dims} and "
                f"{self.env.num_actions}"
            )
        self.actor.load_state_dict(ck.actor_state)
        self.critic.load_state_dict(ck.critic_state)
        if ck.optimizer_state is not None:
            self.alg.optimizer.load_state_dict(ck.optimizer_state)
            self.alg.learning_rate = float(self.alg.optimizer.param_groups[0]["lr"])
        self.iteration = ck.iteration
        self.env_steps = ck.env_steps
