"""Stage 1 and stage 2 on Training I's MuJoCo environment, in tiny versions."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from maniptrans_training.demo import mirror_demo
from maniptrans_training.errors import TrainingError
from maniptrans_training.rl.adapter import PhysicsCurriculum
from maniptrans_training.rl.config import replace_path
from maniptrans_training.rl.evaluate import ComposedPolicy, evaluate_policy, export_atomically
from maniptrans_training.rl.experiments import ABLATIONS, ablation_config
from maniptrans_training.rl.stages import (
    Stage2Config,
    build_stage2_env,
    hand_only_demos,
    imitator_base,
    make_reference,
    stage1_preset,
    stage2_config_of,
    stage2_env_overrides,
    stage2_preset,
    train_preset,
    train_stage1,
    train_stage2,
)
from maniptrans_training.synthetic import make_demo

pytestmark = pytest.mark.slow


def _tiny(cfg, envs: int = 8):
    cfg = replace_path(cfg, "train.run.iterations", 1)
    cfg = replace_path(cfg, "train.run.num_envs", envs)
    cfg = replace_path(cfg, "train.run.threads", 1)
    cfg = replace_path(cfg, "train.ppo.num_steps_per_env", 8)
    cfg = replace_path(cfg, "train.policy.actor_hidden", [32])
    return replace_path(cfg, "train.policy.critic_hidden", [32])


@pytest.fixture(scope="module")
def demo():
    return make_demo("lift_box")


@pytest.fixture(scope="module")
def reference(demo):
    return make_reference(demo)


@pytest.fixture(scope="module")
def imitators(demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("stage1")
    cfg = _tiny(stage1_preset("cpu"), envs=4)
    return {s: train_stage1([demo], s, out, cfg) for s in ("right", "left")}


def test_hand_only_data_holds_each_side_and_the_mirrored_other_side(demo):
    data = hand_only_demos([demo], "right")
    assert [d.sides for d in data] == [("right",), ("right",)]
    assert all(d.objects == () and d.hands["right"].object_index == -1 for d in data)
    mirrored_left = mirror_demo(demo).hands["right"]
    assert np.allclose(data[1].hands["right"].keypoints, mirrored_left.keypoints)
    assert len(hand_only_demos([demo], "right", mirror=False)) == 1


def test_imitators_drive_both_hands_and_start_at_the_reference(reference, imitators):
    env = build_stage2_env(reference, Stage2Config(), imitators, 4, 0)
    obs = env.get_observations()
    assert obs["base_action"].shape == (4, 36)
    # a fresh prior-imitator (head gain 0.01) stays close to the reference tracker
    gap = (obs["base_action"] - obs["reference_action"]).abs().max()
    assert gap < 0.3
    with pytest.raises(TrainingError, match="left"):
        imitator_base({"right": imitators["right"]}, ("right", "left"))
    with pytest.raises(TrainingError, match="right hand given for left"):
        imitator_base({"right": imitators["right"], "left": imitators["right"]}, ("right", "left"))


def test_stage2_checkpoint_is_self_contained_and_rolls_out_to_a_task(
    demo, reference, imitators, tmp_path
):
    from maniptrans_sim.task_file import load_task
    from maniptrans_training.rl.stages import residual_actor

    cfg = _tiny(Stage2Config(train=train_preset(2)))
    ck = train_stage2(demo, tmp_path / "run", cfg, imitators, reference=reference)
    cfg2, local = stage2_config_of(ck)
    assert cfg2 == cfg and set(local) == {"right", "left"}
    assert all(p.parent == ck.parent and p.is_file() for p in local.values())
    policy = ComposedPolicy(reference, cfg2, local, residual_actor(ck))
    record, m = evaluate_policy(reference, cfg2, policy)
    assert record.num_frames == reference.num_frames
    assert set(m.per_hand) == {"right", "left"} and np.isfinite(m.overall.E_ft)
    assert m.overall.success <= min(h.success for h in m.per_hand.values())
    final = export_atomically(record, demo, tmp_path / "out" / "lift_box_bih")
    task = load_task(final)
    assert task.info.type == "bih" and task.hands["left"].q.shape == (reference.num_frames, 12)
    assert np.allclose(task.hands["right"].q, record.hands["right"].q, atol=1e-6)
    assert [p.name for p in final.parent.iterdir()] == ["lift_box_bih"]


def test_the_composed_policy_matches_the_training_wrapper(reference, imitators):
    from maniptrans_training.rl.stages import residual_actor

    cfg = Stage2Config()
    env = build_stage2_env(reference, cfg, imitators, 2, 0)
    raw = env.env.env.get_observations()  # ManipTransEnv under StageEnv under the residual
    policy = ComposedPolicy(reference, cfg, imitators, None)
    assert torch.allclose(policy(raw), env.get_observations()["base_action"], atol=1e-6)
    del residual_actor


def test_a_trained_residual_stays_near_its_base_at_the_start(reference, imitators):
    env = build_stage2_env(reference, Stage2Config(), imitators, 4, 0)
    obs = env.get_observations()
    base = obs["base_action"].clone()
    env.step(torch.zeros(4, 36))
    assert torch.allclose(env.last_action, torch.clamp(base, -1, 1))


def test_presets_differ_only_where_documented_and_the_penalty_reaches_the_env(
    reference, imitators
):
    paper, cpu = stage2_preset("paper"), stage2_preset("cpu")
    assert paper.correction_penalty == 0.0 and paper.train == Stage2Config().train
    assert paper.train.policy.init_std == pytest.approx(math.exp(-1.0))
    assert cpu.correction_penalty > 0 and cpu.train.policy.init_std < 0.2
    env = build_stage2_env(reference, cpu, imitators, 4, 0)
    assert env.penalty == cpu.correction_penalty
    _, _, _, extras = env.step(torch.full((4, 36), 0.1))
    assert float(extras["log"]["/reward/correction"]) < 0


def test_ablation_switches_reach_the_environment_config():
    full = stage2_env_overrides(Stage2Config())
    assert full["residual_weights"].contact > 0
    assert full["terminations"].human_contact_dist > 0
    assert full["curriculum"].residual_frames > 0
    off = {n: stage2_env_overrides(ablation_config(Stage2Config(), n)) for n in ABLATIONS}
    assert off["no_tactile_reward"]["residual_weights"].contact == 0
    assert off["no_tactile_termination"]["terminations"].human_contact_dist < 0
    assert off["no_relaxed_thresholds"]["curriculum"].residual_frames == 0
    assert not ablation_config(Stage2Config(), "no_tactile_obs").tactile_obs
    assert not ablation_config(Stage2Config(), "no_gravity_relax").physics.gravity_relax
    with pytest.raises(TrainingError, match="no_such"):
        ablation_config(Stage2Config(), "no_such")


def test_hiding_touch_zeroes_the_contact_forces_in_the_observation(reference):
    from maniptrans_training.rl.adapter import CONTACT_SLICE

    cfg = dataclasses.replace(Stage2Config(base="reference"), tactile_obs=False)
    env = build_stage2_env(reference, cfg, None, 2, 0)
    for _ in range(3):
        obs, *_ = env.step(torch.zeros(2, 36))
    lay = env.layout
    for side in ("right", "left"):
        a = lay[f"{side}/object"].start + CONTACT_SLICE.start
        assert torch.all(obs["policy"][:, a : a + 5] == 0)
        assert torch.all(obs["critic"][:, a : a + 5] == 0)


def test_physics_curriculum_ramps_gravity_up_and_friction_down():
    c = PhysicsCurriculum()
    assert c.gravity(0) == 0.0 and c.gravity(10_000) == 1.0
    assert c.gravity(40) == c.gravity(63)  # held over 32-frame blocks
    assert c.friction(0) == pytest.approx(6.0) and c.friction(10_000) == pytest.approx(2.0)
    off = PhysicsCurriculum(gravity_relax=False, raise_friction=False)
    assert off.gravity(0) == 1.0 and off.friction(0) == 2.0
