"""The MuJoCo environment: scene, interface contract, tracking, physics settings (tiny sizes)."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest
import torch

from maniptrans_training.demo import resample_demo
from maniptrans_training.env import EnvConfig, ManipTransEnv, build_reference
from maniptrans_training.env.bps import basis_points, bps_code
from maniptrans_training.errors import TrainingError
from maniptrans_training.retarget import retarget_demo
from maniptrans_training.rl.vec_env import check_env
from maniptrans_training.synthetic import make_demo


def _short(task: str, seconds: float):
    demo = make_demo(task, seed=0)
    n = int(seconds * demo.fps)
    from dataclasses import replace

    hands = {
        s: replace(
            h, wrist_pos=h.wrist_pos[:n], wrist_rot=h.wrist_rot[:n], keypoints=h.keypoints[:n]
        )
        for s, h in demo.hands.items()
    }
    objects = tuple(replace(o, poses=o.poses[:n]) for o in demo.objects)
    return replace(demo, hands=hands, objects=objects)


@pytest.fixture(scope="module")
def lift_ref():
    demo = _short("lift_box", 0.5)
    return build_reference(demo, retarget_demo(demo))


def test_env_honours_the_learners_contract_with_documented_shapes(lift_ref):
    env = ManipTransEnv(lift_ref, EnvConfig(stage="residual", num_envs=3))
    obs = env.reset()
    check_env(env, ("policy", "critic", "reference_action", "policy_right", "policy_left"))
    assert obs["policy"].shape == (3, env.num_obs)
    assert obs["critic"].shape == (3, env.num_obs + env.num_privileged_obs)
    assert env.num_actions == 36
    layout = env.obs_layout()
    assert layout["right/proprio"] == slice(0, 49)
    assert sum(s.stop - s.start for s in layout.values()) == env.num_obs
    obs, rew, done, extras = env.step(torch.zeros(3, 36))
    assert rew.shape == (3,) and done.shape == (3,) and extras["time_outs"].shape == (3,)
    assert torch.isfinite(rew).all()
    with pytest.raises(TrainingError, match=r"actions must be \(3, 36\)"):
        env.step(torch.zeros(3, 35))


def test_retarget_tracker_follows_the_reference_in_free_space(lift_ref):
    env = ManipTransEnv(
        lift_ref,
        EnvConfig(stage="imitation", num_envs=1, auto_reset=False, early_termination=False),
    )
    obs = env.reset()
    errs = []
    for _ in range(lift_ref.num_frames - 1):
        obs, _, done, extras = env.step(obs["reference_action"])
        errs.append(extras["log"]["/right/tip_err_m"])
    assert done[0] == 1.0  # ran to the end of the reference
    assert np.mean(errs) < 0.03
    # zero actions (mid-range joint targets, no wrist force) track much worse
    env2 = ManipTransEnv(
        lift_ref,
        EnvConfig(stage="imitation", num_envs=1, auto_reset=False, early_termination=False),
    )
    env2.reset()
    zero = []
    for _ in range(lift_ref.num_frames - 1):
        _, _, _, ex = env2.step(torch.zeros(1, env2.num_actions))
        zero.append(ex["log"]["/right/tip_err_m"])
    assert np.mean(zero) > 2 * np.mean(errs)


def test_done_environments_are_reset_to_the_start_of_an_episode(lift_ref):
    env = ManipTransEnv(lift_ref, EnvConfig(stage="imitation", num_envs=2))
    env.reset()
    for _ in range(lift_ref.num_frames - 1):
        _, _, done, extras = env.step(env.get_observations()["reference_action"])
    assert done.tolist() == [1.0, 1.0]
    assert extras["time_outs"].tolist() == [1.0, 1.0]
    assert env.frame.tolist() == [0, 0] and env.episode_length_buf.tolist() == [0, 0]


def test_physics_can_differ_per_environment(lift_ref):
    env = ManipTransEnv(lift_ref, EnvConfig(stage="residual", num_envs=2))
    env.reset()
    env.set_physics(gravity_scale=[0.0, 1.0], friction=[6.0, 2.0], kp=[5.0, 20.0], kd=[0.1, 0.3])
    m0, m1 = env.models
    assert m0.opt.gravity[2] == 0.0 and m1.opt.gravity[2] == pytest.approx(-9.81)
    g = env.index.objects[0].geom
    assert m0.geom_friction[g, 0] == 6.0 and m1.geom_friction[g, 0] == 2.0
    act = env.index.hands["right"].actuators
    assert np.all(m1.actuator_gainprm[act, 0] == 20.0) and np.all(
        m1.actuator_biasprm[act, 2] == -0.3
    )
    # with no gravity the box left alone stays put; with gravity (and no hands under it) it
    # rests on the table: both stay near, but only the gravity-free one floats when lifted off
    body = env.index.objects[0].body
    for d in env.datas:
        d.qpos[env.index.objects[0].free_qpos + 2] += 0.05
        mujoco.mj_forward(env.models[0], d)
    for _ in range(10):
        env.step(torch.zeros(2, env.num_actions))
    z = [d.xpos[body][2] for d in env.datas]
    assert z[0] > z[1] + 0.02


def test_object_collider_is_the_convex_hull_with_capped_mass(lift_ref):
    env = ManipTransEnv(lift_ref, EnvConfig(stage="residual", num_envs=1))
    o = env.index.objects[0]
    box = lift_ref.objects[0]
    ext = box.vertices.max(0) - box.vertices.min(0)
    assert o.mass == pytest.approx(min(200.0 * np.prod(ext), 0.5), rel=1e-3)
    # the collider sits where the demo puts the box
    env.reset()
    d = env.datas[0]
    np.testing.assert_allclose(d.xpos[o.body], box.pose[0, :3, 3], atol=1e-9)


def test_bps_code_is_zero_on_the_surface_and_grows_away_from_it():
    import trimesh

    box = trimesh.creation.box(extents=(0.1, 0.1, 0.1))
    basis = np.array([[0.05, 0.0, 0.0], [0.15, 0.0, 0.0], [0.0, 0.0, 0.0]])
    code = bps_code(box, basis)
    assert code[0] < 4e-3  # surface sampled every few millimetres
    assert code[1] == pytest.approx(0.1, abs=4e-3)
    assert code[2] == pytest.approx(0.05, abs=5e-3)
    b = basis_points(128, seed=0)
    assert b.shape == (128, 3) and np.all(np.linalg.norm(b, axis=1) <= 0.15)
    np.testing.assert_array_equal(b, basis_points(128, seed=0))


def test_mirrored_demo_runs_in_the_environment_with_sides_swapped():
    from maniptrans_training.demo import mirror_demo

    demo = _short("pour", 0.25)
    m = mirror_demo(resample_demo(demo, 60.0))
    ref = build_reference(m, retarget_demo(m))
    # the mirrored right hand holds what the left held (the cup)
    assert ref.objects[ref.hands["right"].object_index].name == "cup"
    env = ManipTransEnv(ref, EnvConfig(stage="imitation", num_envs=1))
    obs = env.reset()
    obs, rew, *_ = env.step(obs["reference_action"])
    assert torch.isfinite(rew).all()


def test_link_velocities_restart_at_zero_after_an_automatic_reset(lift_ref):
    env = ManipTransEnv(lift_ref, EnvConfig(stage="imitation", num_envs=2))
    env.reset()
    for _ in range(lift_ref.num_frames - 1):  # zero actions fail after the grace period
        obs, _, done, _ = env.step(torch.zeros(2, env.num_actions))
        if done.all():
            break
    assert done.tolist() == [1.0, 1.0] and env.episode_length_buf.tolist() == [0, 0]
    target = obs["policy"][:, env.obs_layout()["right/target"]]
    per_link = target[:, 18:].reshape(2, 17, 9)
    # Δv = v_ref − v with v = 0 on the first frame of an episode (no stale finite difference)
    torch.testing.assert_close(per_link[:, :, 6:9], per_link[:, :, 3:6])


def test_tracker_holds_a_still_hand_without_oscillating():
    from dataclasses import replace

    demo = make_demo("pour", seed=0)
    n = 30
    hands = {
        s: replace(
            h,
            wrist_pos=np.repeat(h.wrist_pos[:1], n, 0),
            wrist_rot=np.repeat(h.wrist_rot[:1], n, 0),
            keypoints=np.repeat(h.keypoints[:1], n, 0),
        )
        for s, h in demo.hands.items()
    }
    still = replace(
        demo, hands=hands, objects=tuple(replace(o, poses=o.poses[:n]) for o in demo.objects)
    )
    ref = build_reference(still, retarget_demo(still))
    cfg = EnvConfig(stage="imitation", num_envs=1, auto_reset=False, early_termination=False)
    env = ManipTransEnv(ref, cfg)
    obs = env.reset()
    spin = []
    for _ in range(n - 1):
        obs, *_ = env.step(obs["reference_action"])
        hands_state, _ = env.snapshot()
        spin.append(max(np.linalg.norm(h.angvel[0]) for h in hands_state.values()))
    assert max(spin) < 0.5  # [rad/s]; gains above the 60 Hz hold limit spin at ~10 rad/s
