"""Training environment and kinematic retarget: our code against raw MuJoCo / torch in one run.

* ``env.steps_per_s`` — ``ManipTransEnv.step`` (physics + state gathering + observations +
  rewards + terminations) for 1, 8 and 64 environments, one and two hands, with and without an
  object, against raw ``mj_step`` on the very same models and data (the same substeps, a Python
  loop over environments). ratio = our rate / raw rate, so 1 - ratio is the environment's
  overhead.
* ``env.raw_loop_vs_rollout`` — stepping the same N models with a Python ``mj_step`` loop (what
  the environment does) against ``mujoco.rollout`` (C++ threads, state copied in and out every
  60 Hz step): the measurement behind the environment's choice.
* ``retarget.ms_per_frame`` — the batched numpy Levenberg–Marquardt retarget against a torch
  Adam fit of the same cost (the reference implementation's approach) for the same wall time
  budget (and, in full runs, for ten times that budget, as extra fields).
"""

from __future__ import annotations

import time
from dataclasses import replace

import mujoco
import numpy as np
import torch
from mujoco import rollout as mj_rollout

from bench.common import BenchArgs, Record, record
from maniptrans_training.demo import Demo
from maniptrans_training.env import EnvConfig, ManipTransEnv, build_reference
from maniptrans_training.retarget import (
    KEYPOINT_TO_LINK,
    TIP_KEYPOINTS,
    TIP_WEIGHTS,
    retarget_demo,
    retarget_hand,
)
from maniptrans_training.sim_hand import HandKinematics
from maniptrans_training.synthetic import make_demo


def _one_hand(demo: Demo) -> Demo:
    right = demo.hands["right"]
    return replace(demo, hands={"right": right})


def _rate(fn, steps: int) -> float:
    fn()  # warm-up
    t0 = time.perf_counter()
    for _ in range(steps):
        fn()
    return steps / (time.perf_counter() - t0)


def _env_records(args: BenchArgs) -> list[Record]:
    demo = make_demo("lift_box", seed=args.seed)
    refs = {
        2: build_reference(demo, retarget_demo(demo)),
        1: build_reference(_one_hand(demo), retarget_demo(_one_hand(demo))),
    }
    counts = (1, 8) if args.quick else (1, 8, 64)
    out = []
    for n in counts:
        for hands, ref in refs.items():
            for with_obj in (False, True):
                cfg = EnvConfig(
                    stage="residual" if with_obj else "imitation",
                    num_envs=n,
                    early_termination=False,
                    seed=args.seed,
                )
                env = ManipTransEnv(ref, cfg)
                obs = env.reset()
                steps = max(3, (40 if args.quick else 240) // n)
                action = obs["reference_action"]

                def env_step(env=env, action=action):
                    env.step(action)

                ours = _rate(env_step, steps) * n
                nsub = cfg.scene.substeps

                def raw_step(env=env, nsub=nsub):
                    for m, d in zip(env.models, env.datas, strict=True):
                        mujoco.mj_step(m, d, nsub)

                raw = _rate(raw_step, steps) * n
                tag = f"{n}env.{hands}hand.{'obj' if with_obj else 'noobj'}"
                out.append(
                    record(
                        f"env.steps_per_s.{tag}",
                        "env-steps/s",
                        ours,
                        "raw mj_step, same models",
                        raw,
                        lower_is_better=False,
                        overhead=1.0 - ours / raw,
                    )
                )
    return out


def _loop_vs_rollout(args: BenchArgs) -> list[Record]:
    demo = make_demo("lift_box", seed=args.seed)
    ref = build_reference(demo, retarget_demo(demo))
    n = 8 if args.quick else 64
    env = ManipTransEnv(ref, EnvConfig(stage="residual", num_envs=n))
    env.reset()
    nsub = env.cfg.scene.substeps
    steps = 10 if args.quick else 30

    def loop():
        for m, d in zip(env.models, env.datas, strict=True):
            mujoco.mj_step(m, d, nsub)

    spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
    size = mujoco.mj_stateSize(env.model, spec)
    state = np.zeros((n, size))
    ctrl = np.zeros((n, nsub, env.model.nu))
    for i, d in enumerate(env.datas):
        ctrl[i, :] = d.ctrl
    datas = [mujoco.MjData(env.model) for _ in range(2)]
    roller = mj_rollout.Rollout(nthread=2)

    def threaded():
        for i, d in enumerate(env.datas):
            mujoco.mj_getState(env.models[i], d, state[i], spec)
        st, _ = roller.rollout(env.models, datas, state, ctrl, nstep=nsub)
        for i, d in enumerate(env.datas):
            mujoco.mj_setState(env.models[i], d, st[i, -1], spec)
            mujoco.mj_forward(env.models[i], d)

    ours = _rate(loop, steps) * n
    anchor = _rate(threaded, steps) * n
    roller.close()
    return [
        record(
            f"env.raw_loop_vs_rollout.{n}env",
            "env-steps/s",
            ours,
            "mujoco.rollout, 2 threads, state in/out per step",
            anchor,
            lower_is_better=False,
        )
    ]


def _torch_adam_retarget(hand, side: str, seconds: float) -> tuple[float, int]:
    """Adam on the same weighted keypoint cost for ``seconds``; returns (mean tip err, iters)."""
    kin = HandKinematics(side)
    prefix = kin.link_names[0].split("_", 1)[0]
    kp = list(KEYPOINT_TO_LINK)
    links = [kin.link_index(f"{prefix}_{KEYPOINT_TO_LINK[k]}") for k in kp]
    w = torch.ones(len(kp), dtype=torch.float64)
    for k, wt in zip(TIP_KEYPOINTS, TIP_WEIGHTS, strict=True):
        w[kp.index(k)] = wt
    target = torch.as_tensor(hand.keypoints[:, kp])
    T = target.shape[0]
    origins = [torch.as_tensor(o) for o in kin._origin]
    axes = [None if a is None else torch.as_tensor(a) for a in kin._axis]
    lo, hi = torch.as_tensor(kin.lower), torch.as_tensor(kin.upper)
    p = torch.as_tensor(hand.wrist_pos).clone().requires_grad_(True)
    aa0 = torch.zeros(T, 3, dtype=torch.float64, requires_grad=True)
    R0 = torch.as_tensor(hand.wrist_rot)
    q = torch.full((T, 12), 0.3, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p, aa0, q], lr=5e-3)

    def rodrigues(axis, ang):
        K = torch.zeros(3, 3, dtype=torch.float64)
        K[0, 1], K[0, 2], K[1, 0], K[1, 2], K[2, 0], K[2, 1] = (
            -axis[2],
            axis[1],
            axis[2],
            -axis[0],
            -axis[1],
            axis[0],
        )
        s, c = torch.sin(ang)[:, None, None], torch.cos(ang)[:, None, None]
        return torch.eye(3, dtype=torch.float64) + s * K + (1 - c) * (K @ K)

    def fk():
        theta = torch.linalg.norm(aa0, dim=1, keepdim=True).clamp_min(1e-9)
        k = aa0 / theta
        Kx = torch.zeros(T, 3, 3, dtype=torch.float64)
        Kx[:, 0, 1], Kx[:, 0, 2], Kx[:, 1, 0] = -k[:, 2], k[:, 1], k[:, 2]
        Kx[:, 1, 2], Kx[:, 2, 0], Kx[:, 2, 1] = -k[:, 0], -k[:, 1], k[:, 0]
        s, c = torch.sin(theta)[..., None], torch.cos(theta)[..., None]
        Rd = torch.eye(3, dtype=torch.float64) + s * Kx + (1 - c) * (Kx @ Kx)
        Rs, ps = [Rd @ R0], [p]
        qc = torch.minimum(torch.maximum(q, lo), hi)
        for j in range(len(origins)):
            par = kin._parent[j]
            T_po = origins[j]
            Rj = Rs[par] @ T_po[:3, :3]
            ps.append(ps[par] + Rs[par] @ T_po[:3, 3])
            if axes[j] is not None:
                Rj = Rj @ rodrigues(axes[j], qc[:, kin._qidx[j]])
            Rs.append(Rj)
        return torch.stack(ps, dim=1)

    t0 = time.perf_counter()
    iters = 0
    while time.perf_counter() - t0 < seconds:
        opt.zero_grad()
        pts = fk()[:, links]
        loss = (w[None, :, None] * (pts - target) ** 2).sum() / T
        loss.backward()
        opt.step()
        iters += 1
    with torch.no_grad():
        pts = fk()[:, links]
        tips = [kp.index(k) for k in TIP_KEYPOINTS]
        err = torch.linalg.norm(pts[:, tips] - target[:, tips], dim=-1).mean().item()
    return err, iters


def _retarget_records(args: BenchArgs) -> list[Record]:
    demo = make_demo("pour", seed=args.seed)
    hand = demo.hands["right"]
    T = demo.num_frames
    t0 = time.perf_counter()
    ours = retarget_hand(hand, "right")
    dt = time.perf_counter() - t0
    adam_err, iters = _torch_adam_retarget(hand, "right", dt)
    extra = {}
    if not args.quick:  # how far Adam gets with ten times the time
        err10, iters10 = _torch_adam_retarget(hand, "right", 10 * dt)
        extra = {"adam_10x_time_tip_error_cm": 100 * err10, "adam_10x_time_iterations": iters10}
    return [
        record(
            "retarget.tip_error_at_equal_time",
            "cm",
            100 * ours.mean_tip_error,
            "torch Adam (lr 5e-3), same cost, same wall time",
            100 * adam_err,
            lower_is_better=True,
            ms_per_frame=1000 * dt / T,
            adam_iterations=iters,
            frames=T,
            **extra,
        )
    ]


def run(args: BenchArgs) -> list[Record]:
    return _retarget_records(args) + _env_records(args) + _loop_vs_rollout(args)
