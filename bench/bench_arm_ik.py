"""Arm IK (RM75-B): our solver against pink, same targets, same tolerance, same run.

Inputs (seeded by ``args.seed``):
  * random: 1000 reachable targets (quick: 100), the flange poses of configurations drawn
    uniformly inside the joint limits, each solved from a seed 0.3 rad away (every joint moved by
    a uniform offset in [-0.3, 0.3] rad, clipped into the limits);
  * trajectory: 20 s of a smooth 60 Hz joint-space motion (quick: 3 s) turned into flange poses,
    solved frame after frame, warm-started from the previous solution.

Tolerance for both: flange position error < 0.1 mm and rotation error < 0.1°, measured the same
way (Pinocchio FK) for both. Ours: ``ArmIk.solve`` (random) and ``IkStream.step`` (trajectory,
as the node streams it: per-step velocity limit, posture pull). Pink 4.4 (``solve_ik`` with a
``FrameTask``, the same rotation weight, ``ConfigurationLimit``, QP solver daqp) is iterated with
full steps until the same tolerance or 60 iterations, warm-started the same way. Everything
runs single-threaded. The compared time is the mean *thread CPU time* per solve
(``time.thread_time``): on a shared 2-core machine the wall clock also counts the milliseconds
other processes hold the core (a handful of frames preempted for ~4 ms each dominate a mean of
~10 µs solves); the wall-clock mean and median of both sides are kept in each record.
"""

from __future__ import annotations

import math
import time
from contextlib import nullcontext

import numpy as np

from bench.common import BenchArgs, Record, record

ANCHOR = "pink 4.4 solve_ik (daqp), iterated to the same tolerance"
TOL_P = 1e-4  # [m]
TOL_R = math.radians(0.1)  # [rad]
MAX_IT = 60
ROTATION_WEIGHT = 0.25  # [m/rad], ours and pink's orientation cost alike
RATE = 60.0  # [Hz]


def _errors(kin, q, T) -> tuple[float, float]:
    M = kin.flange_pose(q)
    pos = float(np.linalg.norm(M[:3, 3] - T[:3, 3]))
    cos = (np.trace(M[:3, :3].T @ T[:3, :3]) - 1.0) / 2.0
    return pos, math.acos(min(1.0, max(-1.0, cos)))


class _Pink:
    """pink, iterated until the tolerance (full steps: dt = 1, gain = 1)."""

    def __init__(self, kin) -> None:
        try:
            import pink
            from pink.limits import ConfigurationLimit
            from pink.tasks import FrameTask
        except ImportError as exc:  # bench-only dependency (requirements.txt, build-and-test)
            raise RuntimeError(
                f"pin-pink is not importable; `pip install -r requirements.txt`: {exc}"
            ) from exc
        import pinocchio as pin

        self.pin, self.pink = pin, pink
        self.model = kin.model
        self.frame = kin.flange_frame
        self.task = FrameTask(self.frame, position_cost=1.0, orientation_cost=ROTATION_WEIGHT)
        self.limits = [ConfigurationLimit(self.model)]
        self.conf = pink.Configuration(self.model, self.model.createData(), np.zeros(7))

    def solve(self, T: np.ndarray, seed: np.ndarray) -> tuple[np.ndarray, bool]:
        pin, pink, conf = self.pin, self.pink, self.conf
        conf.update(seed)
        self.task.set_target(pin.SE3(T[:3, :3], T[:3, 3]))
        for _ in range(MAX_IT + 1):
            M = conf.get_transform_frame_to_world(self.frame)
            pos = np.linalg.norm(M.translation - T[:3, 3])
            rot = np.linalg.norm(pin.log3(M.rotation.T @ T[:3, :3]))
            if pos < TOL_P and rot < TOL_R:
                return conf.q.copy(), True
            v = pink.solve_ik(
                conf, [self.task], 1.0, solver="daqp", limits=self.limits, safety_break=False
            )
            conf.integrate_inplace(v, 1.0)
        return conf.q.copy(), False


def _random_targets(kin, n: int, rng: np.random.Generator):
    qs = np.array([kin.random_configuration(rng) for _ in range(n)])
    seeds = np.clip(qs + rng.uniform(-0.3, 0.3, qs.shape), kin.lower, kin.upper)
    return np.array([kin.flange_pose(q) for q in qs]), seeds


def _trajectory(kin, seconds: float, rng: np.random.Generator):
    from maniptrans_retarget.arm_ik import COMFORTABLE_POSTURE

    t = np.arange(0.0, seconds, 1.0 / RATE)[:, None]
    amp = rng.uniform(0.2, 0.5, 7)
    freq = rng.uniform(0.05, 0.25, 7)  # [Hz]; peak joint speed ~0.5 rad/s
    phase = rng.uniform(0.0, 2 * np.pi, 7)
    Q = np.array(COMFORTABLE_POSTURE) + amp * np.sin(2 * np.pi * freq * t + phase)
    Q = np.clip(Q, kin.lower, kin.upper)
    return np.array([kin.flange_pose(q) for q in Q]), Q


def _time_each(fn, items) -> tuple[np.ndarray, np.ndarray, list]:
    """Thread CPU time and wall time [s] of each call ``fn(*item)``, and the results."""
    cpu = np.empty(len(items))
    wall = np.empty(len(items))
    out = []
    for k, item in enumerate(items):
        c0, w0 = time.thread_time(), time.perf_counter()
        out.append(fn(*item))
        wall[k] = time.perf_counter() - w0
        cpu[k] = time.thread_time() - c0
    return cpu, wall, out


def _timing(prefix: str, cpu: np.ndarray, wall: np.ndarray) -> dict[str, float]:
    return {
        f"{prefix}_cpu_mean_us": float(cpu.mean() * 1e6),
        f"{prefix}_wall_mean_us": float(wall.mean() * 1e6),
        f"{prefix}_wall_median_us": float(np.median(wall) * 1e6),
    }


def run(args: BenchArgs) -> list[Record]:
    """Solve time and success rate of ours and pink on random targets and on a trajectory."""
    from maniptrans_retarget.arm_ik import ArmIk, IkConfig, IkStream
    from maniptrans_retarget.arm_kinematics import ArmKinematics

    try:
        from threadpoolctl import threadpool_limits

        single_thread = threadpool_limits(limits=1)
    except ImportError:
        single_thread = nullcontext()
    kin = ArmKinematics.from_description("rm75_b")
    config = IkConfig(
        position_tolerance=TOL_P,
        rotation_tolerance=TOL_R,
        max_iterations=MAX_IT,
        rotation_weight=ROTATION_WEIGHT,
    )
    ik = ArmIk(kin, config)
    anchor = _Pink(kin)
    rng = np.random.default_rng(args.seed)
    n_random = 100 if args.quick else 1000
    targets, seeds = _random_targets(kin, n_random, rng)
    traj, Q = _trajectory(kin, 3.0 if args.quick else 20.0, rng)
    records: list[Record] = []
    with single_thread:
        # --- random reachable targets, seeds 0.3 rad away -----------------------------------
        pairs = list(zip(targets, seeds, strict=True))
        ours_cpu, ours_wall, ours_res = _time_each(lambda T, s: ik.solve(T, s), pairs)
        pink_cpu, pink_wall, pink_res = _time_each(anchor.solve, pairs)
        ours_ok = [_ok(kin, r.q, T) for r, T in zip(ours_res, targets, strict=True)]
        pink_ok = [_ok(kin, q, T) for (q, _), T in zip(pink_res, targets, strict=True)]
        records.append(
            record(
                "arm_ik.random_targets.mean_solve_cpu_time",
                "us/solve",
                ours_cpu.mean() * 1e6,
                ANCHOR,
                pink_cpu.mean() * 1e6,
                targets=n_random,
                ours_mean_iterations=float(np.mean([r.iterations for r in ours_res])),
                **_timing("ours", ours_cpu, ours_wall),
                **_timing("anchor", pink_cpu, pink_wall),
            )
        )
        records.append(_success("arm_ik.random_targets.success_rate", ours_ok, pink_ok))
        # --- continuous trajectory, warm-started ------------------------------------------
        dt = 1.0 / RATE
        stream = IkStream(ik, Q[0])
        frames = [(T,) for T in traj]
        ours_cpu, ours_wall, ours_res = _time_each(lambda T: stream.step(T, dt), frames)
        warm = {"q": Q[0]}

        def pink_warm(T: np.ndarray) -> np.ndarray:
            warm["q"], _ = anchor.solve(T, warm["q"])
            return warm["q"]

        pink_cpu, pink_wall, pink_q = _time_each(pink_warm, frames)
        ours_q = np.array([r.q for r in ours_res])
        ours_ok = [_ok(kin, q, T) for q, T in zip(ours_q, traj, strict=True)]
        pink_ok = [_ok(kin, q, T) for q, T in zip(pink_q, traj, strict=True)]
        records.append(
            record(
                "arm_ik.trajectory_warm.mean_solve_cpu_time",
                "us/frame",
                ours_cpu.mean() * 1e6,
                ANCHOR,
                pink_cpu.mean() * 1e6,
                frames=len(traj),
                rate_hz=RATE,
                ours_max_joint_step_rad=float(np.abs(np.diff(ours_q, axis=0)).max()),
                per_step_limit_rad=float((ik.max_velocity * dt).min()),
                anchor_max_joint_step_rad=float(np.abs(np.diff(np.array(pink_q), axis=0)).max()),
                **_timing("ours", ours_cpu, ours_wall),
                **_timing("anchor", pink_cpu, pink_wall),
            )
        )
        records.append(_success("arm_ik.trajectory_warm.success_rate", ours_ok, pink_ok))
    return records


def _success(name: str, ours_ok: list[bool], anchor_ok: list[bool]) -> Record:
    return record(
        name,
        "fraction",
        float(np.mean(ours_ok)),
        ANCHOR,
        float(np.mean(anchor_ok)),
        lower_is_better=False,
        tolerance="0.1 mm, 0.1 deg",
        cases=len(ours_ok),
    )


def _ok(kin, q, T) -> bool:
    pos, rot = _errors(kin, q, T)
    return pos < TOL_P and rot < TOL_R
