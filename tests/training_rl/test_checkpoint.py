"""Checkpoints restore the policy and its normaliser exactly, and never unpickle."""

from __future__ import annotations

import pickle

import pytest
import torch

from maniptrans_training.errors import TrainingError
from maniptrans_training.rl.checkpoint import load_checkpoint, load_policy
from maniptrans_training.rl.config import TrainConfig
from maniptrans_training.rl.point_mass import PointMassEnv
from maniptrans_training.rl.ppo import Learner


def test_save_then_load_restores_weights_normaliser_and_actions(tiny_cfg, tmp_path):
    learner = Learner(PointMassEnv(64, seed=0), tiny_cfg, meta={"stage": "test"})
    learner.learn(3)
    norm = learner.actor.obs_normalizer
    assert int(norm.count) > 0 and not torch.allclose(norm.mean, torch.zeros_like(norm.mean))
    path = learner.save(tmp_path / "ck.pt")

    fresh = Learner(PointMassEnv(64, seed=0), tiny_cfg)
    fresh.load_state(path)
    for a, b in [(learner.actor, fresh.actor), (learner.critic, fresh.critic)]:
        sa, sb = a.state_dict(), b.state_dict()
        assert sa.keys() == sb.keys()
        for k in sa:
            assert torch.equal(sa[k], sb[k]), k
    assert fresh.iteration == 3 and fresh.env_steps == learner.env_steps

    obs = PointMassEnv(64, seed=9).get_observations()
    policy = load_policy(path)
    assert torch.equal(policy(obs), learner.act_deterministic(obs))
    ck = load_checkpoint(path)
    assert ck.config == tiny_cfg and ck.meta == {"stage": "test"}
    assert torch.equal(ck.actor_state["obs_normalizer._mean"], norm._mean)
    assert torch.equal(ck.actor_state["obs_normalizer._var"], norm._var)


def test_training_resumes_from_a_checkpoint_where_it_stopped(tiny_cfg, tmp_path):
    learner = Learner(PointMassEnv(64, seed=0), tiny_cfg)
    learner.learn(2)
    path = learner.save(tmp_path / "ck.pt")
    resumed = Learner(PointMassEnv(64, seed=0), tiny_cfg)
    resumed.load_state(path)
    assert resumed.alg.learning_rate == pytest.approx(learner.alg.learning_rate)
    rows = resumed.learn(1)
    assert rows[0].iteration == 3


def test_a_checkpoint_for_another_environment_is_refused(tiny_cfg, tmp_path):
    from maniptrans_training.rl.point_mass import PointMassConfig

    path = Learner(PointMassEnv(8, seed=0), tiny_cfg).save(tmp_path / "ck.pt")
    other = Learner(PointMassEnv(8, PointMassConfig(dim=3)), tiny_cfg)
    with pytest.raises(TrainingError, match="observation groups"):
        other.load_state(path)


class _Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_a_pickled_object_in_a_checkpoint_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": "maniptrans-ppo/1", "payload": _Evil()}, path)
    with pytest.raises(TrainingError, match="weights-only"):
        load_checkpoint(path)
    path.write_bytes(pickle.dumps({"x": 1}))
    with pytest.raises(TrainingError):
        load_checkpoint(path)


def test_a_foreign_format_and_a_missing_file_are_named(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"format": "something-else"}, path)
    with pytest.raises(TrainingError, match="something-else"):
        load_checkpoint(path)
    with pytest.raises(TrainingError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.pt")


def test_config_json_round_trip_rejects_unknown_keys():
    from maniptrans_training.rl.config import config_from_json, config_to_json, replace_path

    cfg = replace_path(TrainConfig(), "ppo.gamma", 0.9)
    assert config_from_json(TrainConfig, config_to_json(cfg)) == cfg
    with pytest.raises(TrainingError, match="gama"):
        config_from_json(TrainConfig, '{"ppo": {"gama": 0.9}}')
    with pytest.raises(TrainingError, match="no field 'nope'"):
        replace_path(cfg, "run.nope", 1)
