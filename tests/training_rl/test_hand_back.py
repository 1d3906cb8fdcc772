"""HandBack: a hand whose object is lost gets its base action alone for the rest of a rollout."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from maniptrans_training.env import ManipTransEnv
from maniptrans_training.env.mujoco_env import ACTIONS_PER_HAND, OBJECT_DIM
from maniptrans_training.errors import TrainingError
from maniptrans_training.rl.adapter import OBJECT_POS_ERROR_SLICE, OBJECT_ROT_ERROR_SLICE
from maniptrans_training.rl.evaluate import ComposedPolicy, HandBack, env_config_for
from maniptrans_training.rl.stages import Stage2Config, make_reference
from maniptrans_training.rotations import matrix_to_axis_angle
from maniptrans_training.synthetic import make_demo

A = ACTIONS_PER_HAND
LAYOUT = {"right/object": slice(0, OBJECT_DIM), "left/object": slice(OBJECT_DIM, 2 * OBJECT_DIM)}


def _obs(n: int, errors: dict[tuple[int, str], tuple[float, float]]) -> torch.Tensor:
    """Policy observations of ``n`` environments, only the object errors filled in:
    (env, side) -> (position error [m], rotation error [rad])."""
    obs = torch.zeros(n, 2 * OBJECT_DIM)
    for (i, side), (e_p, e_r) in errors.items():
        block = LAYOUT[f"{side}/object"].start
        obs[i, block + OBJECT_POS_ERROR_SLICE.start] = e_p
        obs[i, block + OBJECT_ROT_ERROR_SLICE.start + 2] = e_r
    return obs


def test_a_lost_object_switches_that_hands_residual_off_and_it_stays_off():
    hb = HandBack(LAYOUT, ("right", "left"))
    assert torch.all(hb.mask(_obs(2, {(0, "right"): (0.019, 0.5)})) == 1)  # within 2 cm / 30°
    m = hb.mask(_obs(2, {(0, "right"): (0.021, 0.0), (1, "left"): (0.0, math.radians(31))}))
    assert torch.all(m[0, :A] == 0) and torch.all(m[0, A:] == 1)  # env 0: right lost
    assert torch.all(m[1, :A] == 1) and torch.all(m[1, A:] == 0)  # env 1: left lost
    assert hb.lost_at == {"right": 1, "left": 1}
    again = hb.mask(_obs(2, {}))  # the objects back on their references: still handed back
    assert torch.equal(again, m)
    hb.reset()
    assert torch.all(hb.mask(_obs(2, {})) == 1) and hb.lost_at == {"right": None, "left": None}


def test_a_hand_without_an_object_block_never_hands_back():
    hb = HandBack({"right/object": LAYOUT["right/object"]}, ("right", "left"))
    m = hb.mask(_obs(1, {(0, "right"): (0.5, 0.0), (0, "left"): (0.5, 3.0)}))
    assert torch.all(m[0, :A] == 0) and torch.all(m[0, A:] == 1)
    with pytest.raises(TrainingError, match="thresholds must be > 0"):
        HandBack(LAYOUT, ("right",), obj_pos=0.0)


@pytest.fixture(scope="module")
def reference():
    return make_reference(make_demo("lift_box"))


@pytest.mark.slow
def test_the_slices_read_the_objects_distance_to_its_next_reference_pose(reference):
    env = ManipTransEnv(reference, _one_env(Stage2Config()))
    obs = env.reset()
    zero = torch.zeros(env.num_envs, env.num_actions)
    for _ in range(90):  # into the reference's lift: the box stays behind
        obs, *_ = env.step(zero)
    _, objects = env.snapshot()
    box, P = objects[0], reference.objects[0].pose[int(env.frame[0]) + 1]
    o = obs["policy"][0, env.obs_layout()["right/object"]].numpy()
    np.testing.assert_allclose(o[OBJECT_POS_ERROR_SLICE], P[:3, 3] - box.pos[0], atol=1e-5)
    rot = matrix_to_axis_angle(P[:3, :3] @ box.R[0].T)
    np.testing.assert_allclose(o[OBJECT_ROT_ERROR_SLICE], rot, atol=1e-5)
    assert np.linalg.norm(P[:3, 3] - box.pos[0]) > 0.02  # a real loss, as the test below needs


def _one_env(cfg: Stage2Config):
    """The evaluation environment of ``cfg`` as a rollout runs it: one, frame 0 to the end."""
    return dataclasses.replace(
        env_config_for(cfg), num_envs=1, rsi=False, auto_reset=False, early_termination=False
    )


def _drive(reference, hand_back: bool) -> tuple[list[bool], HandBack | None]:
    """Roll the Retarget + Residual composition with a constant residual; per frame, whether
    the action was the base's alone (both hands)."""
    cfg = Stage2Config(base="reference")
    env = ManipTransEnv(reference, _one_env(cfg))
    policy = ComposedPolicy(
        reference, cfg, None, lambda g: torch.full((1, 2 * A), 0.05), hand_back
    )
    policy.reset()
    obs = env.reset()
    base_only = []
    for _ in range(reference.num_frames - 1):
        a = policy(obs)
        base = torch.clamp(obs["reference_action"], -1.0, 1.0)
        base_only.append(bool(torch.allclose(a, base)))
        obs, *_ = env.step(a)
    return base_only, policy.hand_back


@pytest.mark.slow
def test_the_residual_acts_until_the_box_is_lost_then_the_base_alone_drives(reference):
    # The reference tracker never lifts the box (the robot thumbs are inside it), so the box
    # falls behind the reference once the lift starts (frame 60).
    base_only, hb = _drive(reference, hand_back=True)
    assert hb is not None
    lost = min(f for f in hb.lost_at.values() if f is not None)
    assert 55 < lost < 100
    assert not any(base_only[:lost]) and all(base_only[lost + 1 :])
    plain, none = _drive(reference, hand_back=False)
    assert none is None and not any(plain)
