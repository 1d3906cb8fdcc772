"""A point mass tracking a smooth reference: ManipTrans' structure in miniature.

The mass (1 kg) is driven by a PD controller towards a target position; the action in [−1, 1]
maps linearly to the target inside ±``pos_limit`` (as the hand's joint targets map to the joint
limits). A constant external force (``gravity`` [N] along −y, scaled by ``gravity_scale``) plays
the object of stage 2: an imitator trained without it tracks badly with it, and a residual on
top can learn to compensate. Reward ``exp(−k·‖p − r‖)``, early termination when the error exceeds
a threshold tightened by the curriculum factor ``s/0.7`` (facts, stage 1), reference-state
initialisation at a random frame. Used by the tests ("learns on a trivially easy target") and as
a smoke-test environment of the CLI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from tensordict import TensorDict

from maniptrans_training.errors import TrainingError
from maniptrans_training.rl.vec_env import VecEnv, make_obs


@dataclass(frozen=True)
class PointMassConfig:
    """Attributes (SI units):

    dim: space dimension.
    num_frames: reference length [frames] at ``dt``.
    dt: policy period [s]; ``substeps`` physics steps per period.
    pos_limit: action ±1 ↦ target ±pos_limit [m].
    kp, kd: PD gains [N/m], [N·s/m].
    amplitude: reference amplitude [m]; frequency [Hz].
    k_track: reward sharpness [1/m].
    term_error: termination error at the end of the curriculum [m]; grace [frames].
    curriculum_frames: sim frames over which s decays from 1 to 0.7.
    gravity: external force magnitude [N] (along −y); gravity_scale multiplies it.
    rsi_noise: std of the initial position noise [m].
    """

    dim: int = 2
    num_frames: int = 120
    dt: float = 1.0 / 60.0
    substeps: int = 2
    pos_limit: float = 1.0
    kp: float = 60.0
    kd: float = 12.0
    amplitude: float = 0.3
    frequency: float = 0.5
    k_track: float = 10.0
    term_error: float = 0.15
    grace: int = 5
    curriculum_frames: int = 20_000
    gravity: float = 0.0
    gravity_scale: float = 1.0
    rsi_noise: float = 0.01


class PointMassEnv(VecEnv):
    """``N`` point masses, each tracking its own random reference (see the module docstring).

    Observation groups: ``policy`` (N, 5·dim) = position, velocity, next target − position,
    next target velocity, next target; ``critic`` (N, 6·dim) = policy + external force;
    ``reference_action`` (N, dim) = the next target mapped to the action space.
    """

    def __init__(self, num_envs: int, cfg: PointMassConfig = PointMassConfig(), seed: int = 0):
        if num_envs < 1:
            raise TrainingError(f"PointMassEnv: num_envs must be >= 1, found {num_envs}")
        self.cfg = cfg
        self.num_envs = num_envs
        self.num_actions = cfg.dim
        self.max_episode_length = cfg.num_frames - 1
        self.device = "cpu"
        self.gen = torch.Generator().manual_seed(seed)
        n, d = num_envs, cfg.dim
        self.phase = torch.rand(n, d, generator=self.gen) * 2 * math.pi
        self.freq = cfg.frequency * (0.5 + torch.rand(n, d, generator=self.gen))
        self.frame = torch.zeros(n, dtype=torch.long)
        self.episode_length_buf = torch.zeros(n, dtype=torch.long)
        self.pos = torch.zeros(n, d)
        self.vel = torch.zeros(n, d)
        self.sim_frames = 0
        self.gravity_scale = cfg.gravity_scale
        self.force = torch.zeros(d)
        self._reset(torch.arange(n))

    # reference -----------------------------------------------------------------------------
    def reference(self, frame: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N,) frames -> reference position (N, dim) [m] and velocity (N, dim) [m/s]."""
        return self._reference_rows(torch.arange(self.num_envs), frame)

    def curriculum_scale(self) -> float:
        """s: 1 → 0.7 linearly over ``curriculum_frames`` sim frames."""
        return 1.0 - 0.3 * min(1.0, self.sim_frames / self.cfg.curriculum_frames)

    def external_force(self) -> torch.Tensor:
        f = torch.zeros(self.cfg.dim)
        f[min(1, self.cfg.dim - 1)] = -self.cfg.gravity * self.gravity_scale
        return f

    # VecEnv -------------------------------------------------------------------------------
    def get_observations(self) -> TensorDict:
        nxt = torch.clamp(self.frame + 1, max=self.cfg.num_frames - 1)
        r, dr = self.reference(nxt)
        policy = torch.cat([self.pos, self.vel, r - self.pos, dr, r], dim=1)
        force = self.external_force().expand(self.num_envs, -1)
        return make_obs(
            {
                "policy": policy,
                "critic": torch.cat([policy, force], dim=1),
                "reference_action": torch.clamp(r / self.cfg.pos_limit, -1.0, 1.0),
            },
            self.num_envs,
        )

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        if actions.shape != (self.num_envs, self.num_actions):
            raise TrainingError(
                f"PointMassEnv.step: actions expected ({self.num_envs}, {self.num_actions}), "
                f"found {tuple(actions.shape)}"
            )
        c = self.cfg
        target = torch.clamp(actions, -1.0, 1.0) * c.pos_limit
        force = self.external_force()
        h = c.dt / c.substeps
        for _ in range(c.substeps):
            acc = c.kp * (target - self.pos) - c.kd * self.vel + force
            self.vel = self.vel + h * acc
            self.pos = self.pos + h * self.vel
        self.frame += 1
        self.episode_length_buf += 1
        self.sim_frames += self.num_envs
        r, _ = self.reference(self.frame)
        err = torch.linalg.norm(self.pos - r, dim=1)
        reward = torch.exp(-c.k_track * err)
        limit = c.term_error * self.curriculum_scale() / 0.7
        failed = (err > limit) & (self.episode_length_buf > c.grace)
        time_out = self.frame >= c.num_frames - 1
        done = failed | time_out
        extras = {
            "time_outs": (time_out & ~failed).float(),
            "log": {"/track/error_m": err.mean(), "/curriculum/scale": self.curriculum_scale()},
        }
        ids = torch.nonzero(done).flatten()
        if len(ids):
            self._reset(ids)
        return self.get_observations(), reward, done.float(), extras

    def _reset(self, ids: torch.Tensor) -> None:
        """Reference-state initialisation: a random frame of the reference, plus noise."""
        hi = max(1, self.cfg.num_frames - 10)
        start = torch.randint(0, hi, (len(ids),), generator=self.gen)
        r, dr = self._reference_rows(ids, start)
        noise = self.cfg.rsi_noise * torch.randn(len(ids), self.cfg.dim, generator=self.gen)
        self.frame[ids] = start
        self.pos[ids] = r + noise
        self.vel[ids] = dr
        self.episode_length_buf[ids] = 0

    def _reference_rows(
        self, ids: torch.Tensor, frame: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Reference of environments ``ids`` (k,) at ``frame`` (k,): position, velocity."""
        t = frame.to(torch.float32).unsqueeze(1) * self.cfg.dt
        w = 2 * math.pi * self.freq[ids]
        a = self.cfg.amplitude
        return a * torch.sin(w * t + self.phase[ids]), a * w * torch.cos(w * t + self.phase[ids])
