"""Residual composition: clip(a_base + 2·Δa), a near-zero start, and it learns to compensate."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from maniptrans_training.errors import TrainingError
from maniptrans_training.rl.checkpoint import load_policy
from maniptrans_training.rl.config import STAGE2_INIT_STD
from maniptrans_training.rl.point_mass import PointMassConfig, PointMassEnv
from maniptrans_training.rl.ppo import Learner
from maniptrans_training.rl.residual import (
    ReferenceAction,
    ResidualVecEnv,
    ZeroAction,
    compose,
    correction_penalty,
)


def _mean_reward(env, act, steps=120) -> float:
    obs, total = env.get_observations(), 0.0
    for _ in range(steps):
        obs, r, _, _ = env.step(act(obs))
        total += float(r.mean())
    return total / steps


def test_composition_scales_the_residual_and_clips_to_the_action_range():
    base = torch.tensor([[0.5, -0.9, 0.0]])
    delta = torch.tensor([[0.1, -0.2, 0.6]])
    assert torch.allclose(compose(base, delta), torch.tensor([[0.7, -1.0, 1.0]]))


def test_wrapper_feeds_the_base_action_and_steps_the_composed_one():
    env = ResidualVecEnv(PointMassEnv(4, seed=0), ReferenceAction())
    obs = env.get_observations()
    assert torch.equal(obs["base_action"], obs["reference_action"])
    env.step(torch.zeros(4, 2))
    assert torch.equal(env.last_action, obs["reference_action"])


def test_correction_penalty_charges_what_the_residual_changed_after_the_clip():
    base = torch.tensor([[0.9, 0.0], [0.0, 0.0]])
    composed = compose(base, torch.tensor([[0.5, 0.1], [0.0, 0.0]]))  # [[1.0, 0.2], [0, 0]]
    cost = correction_penalty(base, composed, 2.0)
    # 2 · mean(0.1², 0.2²): the clipped part of the push is free
    assert torch.allclose(cost, torch.tensor([2.0 * (0.01 + 0.04) / 2, 0.0]))


def test_penalised_wrapper_lowers_the_reward_by_the_penalty_and_logs_it():
    plain = ResidualVecEnv(PointMassEnv(4, seed=0), ReferenceAction())
    charged = ResidualVecEnv(PointMassEnv(4, seed=0), ReferenceAction(), penalty=3.0)
    delta = torch.full((4, 2), 0.1)
    _, r_plain, _, _ = plain.step(delta)
    base = charged.get_observations()["base_action"]
    _, r_charged, _, extras = charged.step(delta)
    expected = correction_penalty(base, charged.last_action, 3.0)
    assert torch.all(expected > 0)
    assert torch.allclose(r_plain - r_charged, expected, atol=1e-6)
    assert float(extras["log"]["/reward/correction"]) == pytest.approx(-float(expected.mean()))


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf")])
def test_penalty_must_be_finite_and_non_negative(bad):
    with pytest.raises(TrainingError, match="penalty"):
        ResidualVecEnv(PointMassEnv(2, seed=0), ZeroAction(2), penalty=bad)


def test_residual_head_starts_near_zero(tiny_cfg):
    cfg = dataclasses.replace(
        tiny_cfg, policy=dataclasses.replace(tiny_cfg.policy, output_gain=0.01)
    )
    env = ResidualVecEnv(PointMassEnv(32, seed=0), ZeroAction(2))
    plain = Learner(env, tiny_cfg).act_deterministic(env.get_observations())
    small = Learner(env, cfg).act_deterministic(env.get_observations())
    assert small.abs().max() < 0.05 < plain.abs().max()


def test_residual_on_a_frozen_imitator_compensates_an_unseen_force(tiny_cfg, tmp_path):
    imitator = Learner(PointMassEnv(64, seed=0), tiny_cfg)
    imitator.learn(40)
    path = imitator.save(tmp_path / "imitator.pt")
    base = load_policy(path)
    heavy = PointMassConfig(gravity=40.0)
    before = _mean_reward(PointMassEnv(64, heavy, seed=5), base)

    cfg = dataclasses.replace(
        tiny_cfg,
        policy=dataclasses.replace(tiny_cfg.policy, output_gain=0.01, init_std=STAGE2_INIT_STD),
    )
    groups = {"actor": ["policy", "base_action"], "critic": ["critic", "base_action"]}
    residual = Learner(ResidualVecEnv(PointMassEnv(64, heavy, seed=2), base), cfg, groups)
    residual.learn(30)
    after = _mean_reward(
        ResidualVecEnv(PointMassEnv(64, heavy, seed=5), base), residual.act_deterministic
    )
    assert after > before + 0.03
    # the frozen imitator did not change
    saved = load_policy(path).model.state_dict()
    assert all(torch.equal(v, saved[k]) for k, v in base.model.state_dict().items())
