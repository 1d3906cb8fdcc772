"""PPO from rsl-rl-lib, driven by our loop, learns the point-mass tracking task."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from maniptrans_training.errors import TrainingError
from maniptrans_training.rl.point_mass import PointMassEnv
from maniptrans_training.rl.ppo import Learner
from maniptrans_training.rl.vec_env import check_env


def test_tracking_reward_improves_and_value_loss_falls_after_its_peak(tiny_cfg, tmp_path):
    learner = Learner(PointMassEnv(64, seed=0), tiny_cfg, log_dir=tmp_path)
    rows = learner.learn(40)
    rewards = [r.mean_step_reward for r in rows]
    assert np.mean(rewards[-3:]) > np.mean(rewards[:3]) + 0.2
    errors = [r.env_log["/track/error_m"] for r in rows]
    assert np.mean(errors[-3:]) < 0.5 * np.mean(errors[:3])
    values = [r.value_loss for r in rows]
    assert values[-1] < max(values)
    history = json.loads((tmp_path / "history.json").read_text())
    assert len(history) == 40 and history[-1]["iteration"] == 40
    assert any(p.name.startswith("events.out.tfevents") for p in tmp_path.iterdir())


def test_the_same_seed_gives_the_same_learning_curve(tiny_cfg):
    a = Learner(PointMassEnv(64, seed=3), tiny_cfg).learn(3)
    b = Learner(PointMassEnv(64, seed=3), tiny_cfg).learn(3)
    assert [r.mean_step_reward for r in a] == [r.mean_step_reward for r in b]
    assert [r.value_loss for r in a] == [r.value_loss for r in b]


def test_adaptive_learning_rate_moves_with_kl(tiny_cfg):
    learner = Learner(PointMassEnv(64, seed=0), tiny_cfg)
    rates = {r.learning_rate for r in learner.learn(4)}
    assert rates != {tiny_cfg.ppo.learning_rate}


class _NanEnv(PointMassEnv):
    def step(self, actions):
        obs, rew, done, extras = super().step(actions)
        return obs, rew * float("nan"), done, extras


def test_non_finite_rewards_stop_training_with_a_diagnosis(tiny_cfg):
    learner = Learner(_NanEnv(8, seed=0), tiny_cfg)
    with pytest.raises(TrainingError, match="non-finite"):
        learner.learn(1)


def test_env_check_names_a_missing_group_and_a_bad_shape():
    env = PointMassEnv(4)
    with pytest.raises(TrainingError, match="'object'"):
        check_env(env, ["policy", "object"])

    class Bad(PointMassEnv):
        def get_observations(self):
            obs = super().get_observations()
            obs["reference_action"] = torch.zeros(4, 5)  # 5 != num_actions (2)
            return obs

    with pytest.raises(TrainingError, match="reference_action"):
        check_env(Bad(4))
