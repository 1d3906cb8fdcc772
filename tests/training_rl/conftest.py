"""Shared tiny configs: small networks and horizons so each learning test takes seconds."""

from __future__ import annotations

import pytest
import torch

from maniptrans_training.rl.config import PolicyConfig, PPOConfig, RunConfig, TrainConfig


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.fixture
def tiny_cfg() -> TrainConfig:
    return TrainConfig(
        ppo=PPOConfig(num_steps_per_env=16, minibatch_size=256, learning_rate=1e-3),
        policy=PolicyConfig(
            actor_hidden=(64, 64), critic_hidden=(64, 64), init_std=0.5, learn_std=True
        ),
        run=RunConfig(num_envs=64, seed=0),
    )
