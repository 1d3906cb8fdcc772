"""ManipTrans' two stages and the paper's baselines, on Training I's MuJoCo environment.

* Stage 1 (:func:`train_stage1`): one imitator per hand side, hands only, trained on many
  demos at once (one environment group per demo), the other side's hands mirrored into this
  side to balance the data; RSI, early termination with the tightening curriculum (both in the
  environment). Saves ``imitator_<side>.pt``.
* Stage 2 (:func:`train_stage2`): one bimanual (or one-hand) task with its objects; the
  frozen imitators inside a :class:`~.residual.ResidualVecEnv`; residual head near zero;
  gravity ramp and friction curriculum (:class:`~.adapter.PhysicsCurriculum`); object and
  contact rewards and terminations in the environment. The ``base`` switch gives the
  baselines: ``"imitator"`` (ManipTrans), ``"reference"`` (Retarget + Residual), ``"zero"``
  (RL-only). Saves ``residual.pt`` next to copies of its imitators, so a run directory is
  self-contained.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch
from tensordict import TensorDict

from maniptrans_training.demo import Demo, Side, mirror_demo, other_side
from maniptrans_training.errors import TrainingError
from maniptrans_training.rl.adapter import ConcatVecEnv, PhysicsCurriculum, StageEnv
from maniptrans_training.rl.checkpoint import load_checkpoint, load_policy
from maniptrans_training.rl.config import (
    CPU_STAGE2_INIT_STD,
    STAGE2_INIT_STD,
    PolicyConfig,
    PPOConfig,
    RunConfig,
    TrainConfig,
)
from maniptrans_training.rl.ppo import IterationStats, Learner
from maniptrans_training.rl.residual import (
    RESIDUAL_SCALE,
    PerHandBase,
    ReferenceAction,
    ResidualVecEnv,
    ZeroAction,
    compose,
)

Base = Literal["imitator", "reference", "zero"]
Preset = Literal["cpu", "paper"]


# ------------------------------------------------------------------------------ configs
def train_preset(stage: int, preset: Preset = "cpu") -> TrainConfig:
    """PPO/network/run settings of a stage.

    ``paper``: the reference's settings (4096 environments, [256, 512, 128, 64] ELU, fixed σ,
    lr 5e-4, horizon 32, minibatch 1024) — a GPU-sized run. ``cpu``: sized to learn within
    minutes on two cores: fewer environments, a smaller network, a learned σ (the residual
    head's starts at :data:`CPU_STAGE2_INIT_STD` instead of the paper's e⁻¹).
    """
    if preset == "paper":
        policy = PolicyConfig()
        run = RunConfig(num_envs=4096, iterations=5000, threads=8)
    elif preset == "cpu":
        policy = PolicyConfig(
            actor_hidden=(256, 128, 64),
            critic_hidden=(256, 128, 64),
            init_std=0.6,
            learn_std=True,
        )
        run = RunConfig(num_envs=64, iterations=150, threads=2)
    else:
        raise TrainingError(f"unknown preset {preset!r}; choose 'cpu' or 'paper'")
    # stage rewards are several per step (returns in the hundreds): scale them for the value clip
    ppo = PPOConfig(reward_scale=0.01)
    if preset == "cpu":
        ppo = dataclasses.replace(ppo, minibatch_size=512)
    if stage == 2:
        std = STAGE2_INIT_STD if preset == "paper" else CPU_STAGE2_INIT_STD
        policy = dataclasses.replace(policy, output_gain=0.01, init_std=std)
    return TrainConfig(ppo=ppo, policy=policy, run=run)


def stage1_preset(preset: Preset = "cpu") -> Stage1Config:
    """Stage-1 settings of a preset (``paper``: no kinematic prior, paper PPO settings)."""
    train = train_preset(1, preset)
    if preset == "paper":
        return Stage1Config(train=train, prior="none")
    policy = dataclasses.replace(train.policy, output_gain=0.01, init_std=0.3)
    return Stage1Config(
        train=dataclasses.replace(train, policy=policy), prior="reference", threshold_frames=9600
    )


@dataclass(frozen=True)
class Stage1Config:
    """Stage-1 settings; the defaults are the paper's, :func:`stage1_preset` gives the CPU ones.

    Attributes:
        train: PPO, network and run settings (``run.num_envs`` split evenly over demos).
        prior: "none" — the paper's imitator, which learns the hand's control from scratch;
            "reference" — a CPU-sized variant: the imitator is a learned correction on top of
            the kinematic reference's PD tracker, ``a_I = clip(a_ref + scale·π(o, a_ref))``,
            still trained on hand-only data only. On two shared CPU cores the from-scratch
            imitator does not get past the first termination thresholds within minutes; the
            prior makes stage 1 useful at that budget. The paper preset uses "none".
        prior_scale: the correction's scale.
        mirror: add the other side's hands, mirrored, to this side's data.
        rsi: reference state initialisation.
        early_termination: the tightening tip/joint thresholds.
        threshold_frames: frames per environment over which the thresholds tighten (s 1 →
            0.7). The environment counts frames over all environments, so this is multiplied
            by the number of environments: the schedule then does not depend on how many run.
    """

    train: TrainConfig = field(default_factory=lambda: train_preset(1, "paper"))
    prior: Literal["none", "reference"] = "none"
    prior_scale: float = RESIDUAL_SCALE
    mirror: bool = True
    rsi: bool = True
    early_termination: bool = True
    threshold_frames: int = 128_000


@dataclass(frozen=True)
class Stage2Config:
    """Stage-2 settings and the ablation switches (paper, Sec. 4.4); the defaults are the
    paper's (``stage2_preset("cpu")`` for the CPU-sized settings).

    Attributes:
        train: PPO, network (residual head near zero) and run settings.
        base: "imitator" (ManipTrans), "reference" (Retarget + Residual), "zero" (RL-only).
        residual_scale: a = clip(a_base + scale·Δa).
        correction_penalty: reward −= this · mean((a − a_base)²) (not in the paper; 0 = off).
        physics: gravity relaxation and raised friction switches and ramps.
        relaxed_thresholds: object-error thresholds start loose and tighten (s³/0.343);
            off: the final 2 cm / 30° from the start.
        tactile_obs, tactile_reward, tactile_termination: fingertip contact as observation,
            as reward term, as termination condition (missing contact).
        rsi: reference state initialisation.
        threshold_frames: frames per environment over which the object thresholds tighten
            (see :class:`Stage1Config`).
        retarget_clearance: weight of keeping the hands out of the objects in the kinematic
            retarget (not in the paper; 0 = off; :data:`retarget.COLLISION_AWARE`).
        hand_back: in rollouts (evaluation, ``rollout``, ``transfer``), switch a hand's
            residual off once its object is lost beyond the final termination thresholds,
            where training never took it (not in the paper;
            :class:`~maniptrans_training.rl.evaluate.HandBack`).
    """

    train: TrainConfig = field(default_factory=lambda: train_preset(2, "paper"))
    base: Base = "imitator"
    residual_scale: float = RESIDUAL_SCALE
    correction_penalty: float = 0.0
    physics: PhysicsCurriculum = field(default_factory=PhysicsCurriculum)
    relaxed_thresholds: bool = True
    tactile_obs: bool = True
    tactile_reward: bool = True
    tactile_termination: bool = True
    rsi: bool = True
    threshold_frames: int = 3_200
    retarget_clearance: float = 0.0
    hand_back: bool = True


CPU_CORRECTION_PENALTY = 4.0
"""``Stage2Config.correction_penalty`` of the CPU preset (the paper has none): with σ
:data:`~maniptrans_training.rl.config.CPU_STAGE2_INIT_STD` it keeps the residual off where the
imitator already tracks (rl/NOTES.md, "Residual σ and correction penalty")."""


def stage2_preset(preset: Preset = "cpu") -> Stage2Config:
    """Stage-2 settings of a preset: ``paper`` is the paper's; ``cpu`` adds the residual's
    correction penalty and (through :func:`train_preset`) its smaller σ."""
    penalty = CPU_CORRECTION_PENALTY if preset == "cpu" else 0.0
    return Stage2Config(train=train_preset(2, preset), correction_penalty=penalty)


# ------------------------------------------------------------------------------ data
def hand_only_demos(demos: Sequence[Demo], side: Side, mirror: bool = True) -> list[Demo]:
    """One-hand, object-free demos of ``side``: its own hands plus, mirrored, the other side's."""
    out = []
    for d in demos:
        sources = [(d, "")]
        if mirror and other_side(side) in d.hands:
            sources.append((mirror_demo(d), "_mirrored"))
        for src, tag in sources:
            if side in src.hands:
                h = dataclasses.replace(src.hands[side], object_index=-1)
                out.append(Demo(f"{d.name}{tag}_{side}", src.fps, {side: h}, ()))
    if not out:
        raise TrainingError(f"hand_only_demos: no {side} hand in {[d.name for d in demos]}")
    return out


def make_reference(demo: Demo, clearance: float = 0.0):
    """Kinematic retarget of every hand of ``demo`` and the environment's reference;
    ``clearance`` > 0 keeps the hands out of the objects (:func:`retarget.clearance_config`)."""
    from maniptrans_training.env import build_reference
    from maniptrans_training.retarget import clearance_config, retarget_demo

    return build_reference(demo, retarget_demo(demo, clearance_config(clearance)))


def make_env(reference, stage: Literal["imitation", "residual"], num_envs: int, seed: int, **kw):
    """A ``ManipTransEnv`` for ``reference`` with ``EnvConfig`` overrides ``kw``."""
    from maniptrans_training.env import EnvConfig, ManipTransEnv

    return ManipTransEnv(reference, EnvConfig(stage=stage, num_envs=num_envs, seed=seed, **kw))


def _curriculum(**kw):
    from maniptrans_training.env.curriculum import CurriculumConfig

    return dataclasses.replace(CurriculumConfig(), **kw)


def stage2_env_overrides(cfg: Stage2Config, num_envs: int = 1) -> dict:
    """``EnvConfig`` fields that implement the stage-2 switches for ``num_envs`` environments."""
    from maniptrans_training.env import EnvConfig

    base = EnvConfig()
    return {
        "residual_weights": dataclasses.replace(
            base.residual_weights, contact=base.residual_weights.contact * cfg.tactile_reward
        ),
        "terminations": dataclasses.replace(
            base.terminations,
            human_contact_dist=base.terminations.human_contact_dist
            if cfg.tactile_termination
            else -1.0,
        ),
        "curriculum": dataclasses.replace(
            base.curriculum,
            residual_frames=cfg.threshold_frames * num_envs if cfg.relaxed_thresholds else 0,
        ),
    }


# ------------------------------------------------------------------------------ stage 1
def train_stage1(
    demos: Sequence[Demo],
    side: Side,
    out_dir: str | Path,
    cfg: Stage1Config | None = None,
    callback: Callable[[IterationStats], None] | None = None,
) -> Path:
    """Train the ``side`` imitator on ``demos``; returns the checkpoint path."""
    cfg = cfg or stage1_preset()
    out_dir = Path(out_dir)
    data = hand_only_demos(demos, side, cfg.mirror)
    run = cfg.train.run
    per = max(1, run.num_envs // len(data))
    envs = [
        StageEnv(
            make_env(
                make_reference(d),
                "imitation",
                per,
                run.seed + i,
                rsi=cfg.rsi,
                early_termination=cfg.early_termination,
                curriculum=_curriculum(imitation_frames=cfg.threshold_frames * per),
            )
        )
        for i, d in enumerate(data)
    ]
    env = ConcatVecEnv(envs)
    group = f"{side}/imitation"
    groups = {"actor": [group], "critic": ["critic"]}
    if cfg.prior == "reference":
        env = ResidualVecEnv(env, ReferenceAction(), cfg.prior_scale)
        groups = {"actor": [group, "base_action"], "critic": ["critic", "base_action"]}
    elif cfg.prior != "none":
        raise TrainingError(
            f"Stage1Config.prior must be 'none' or 'reference', found {cfg.prior!r}"
        )
    learner = Learner(
        env,
        cfg.train,
        obs_groups=groups,
        log_dir=out_dir / f"stage1_{side}",
        meta={
            "stage": 1,
            "side": side,
            "prior": cfg.prior,
            "prior_scale": cfg.prior_scale,
            "demos": [d.name for d in data],
        },
    )
    learner.learn(run.iterations, callback)
    learner.close()
    return learner.save(out_dir / f"imitator_{side}.pt")


# ------------------------------------------------------------------------------ stage 2
class ImitatorBase:
    """One side's frozen stage-1 imitator as a base: obs -> that hand's 18 actions.

    Reads ``<side>/imitation`` and, for an imitator with the reference prior, its hand's slice
    of ``reference_action`` (hand ``index`` in the environment's action order).
    """

    def __init__(self, path: Path, index: int, actions_per_hand: int = 18) -> None:
        self.policy = load_policy(path)
        meta = self.policy.checkpoint.meta
        if meta.get("stage") != 1:
            raise TrainingError(f"{path}: expected a stage-1 imitator, found meta {meta}")
        self.side = meta["side"]
        self.prior = meta.get("prior", "none")
        self.scale = float(meta.get("prior_scale", RESIDUAL_SCALE))
        self.slice = slice(index * actions_per_hand, (index + 1) * actions_per_hand)

    def __call__(self, obs: TensorDict) -> torch.Tensor:
        group = f"{self.side}/imitation"
        if self.prior == "none":
            return self.policy(TensorDict({group: obs[group]}, batch_size=obs.batch_size))
        ref = obs["reference_action"][:, self.slice]
        td = TensorDict({group: obs[group], "base_action": ref}, batch_size=obs.batch_size)
        return compose(ref, self.policy(td), self.scale)


def imitator_base(paths: dict[str, Path], sides: Sequence[str]) -> PerHandBase:
    """Frozen imitators of ``sides`` (env action order) from checkpoint ``paths``."""
    parts = []
    for k, s in enumerate(sides):
        if s not in paths:
            raise TrainingError(
                f"stage 2 needs an imitator for the {s} hand; have {sorted(paths)}"
            )
        part = ImitatorBase(paths[s], k)
        if part.side != s:
            raise TrainingError(f"{paths[s]}: imitator of the {part.side} hand given for {s}")
        parts.append(part)
    return PerHandBase(parts)


def make_base(
    base: Base, sides: Sequence[str], num_actions: int, imitators: dict[str, Path] | None
):
    if base == "imitator":
        return imitator_base(imitators or {}, sides)
    if base == "reference":
        return ReferenceAction()
    if base == "zero":
        return ZeroAction(num_actions)
    raise TrainingError(f"unknown base {base!r}; choose 'imitator', 'reference' or 'zero'")


def build_stage2_env(
    reference, cfg: Stage2Config, imitators: dict[str, Path] | None, num_envs: int, seed: int
) -> ResidualVecEnv:
    """The stage-2 training environment: RSI, curricula, the base inside, Δa as the action."""
    kw = stage2_env_overrides(cfg, num_envs)
    env = make_env(reference, "residual", num_envs, seed, rsi=cfg.rsi, **kw)
    stage = StageEnv(env, cfg.physics, tactile_obs=cfg.tactile_obs)
    base = make_base(cfg.base, stage.sides, stage.num_actions, imitators)
    return ResidualVecEnv(stage, base, cfg.residual_scale, cfg.correction_penalty)


RESIDUAL_GROUPS = {"actor": ["policy", "base_action"], "critic": ["critic", "base_action"]}


def train_stage2(
    demo: Demo,
    out_dir: str | Path,
    cfg: Stage2Config | None = None,
    imitators: dict[str, Path] | None = None,
    callback: Callable[[IterationStats], None] | None = None,
    reference=None,
    sequence: str | None = None,
) -> Path:
    """Train the residual policy on one task; returns ``out_dir/residual.pt``.

    ``imitators``: per side, the stage-1 checkpoints (copied into ``out_dir``); ``reference``:
    the demo's precomputed reference; ``sequence``: how to load the demo again (for rollouts).
    """
    cfg = cfg or stage2_preset("cpu")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    local: dict[str, Path] = {}
    if cfg.base == "imitator":
        for s in demo.sides:
            if imitators is None or s not in imitators:
                raise TrainingError(
                    f"stage 2 with base 'imitator' needs a {s} imitator checkpoint; "
                    f"have {sorted(imitators or {})}"
                )
            local[s] = out_dir / f"imitator_{s}.pt"
            if Path(imitators[s]).resolve() != local[s].resolve():
                shutil.copyfile(imitators[s], local[s])
    reference = (
        reference if reference is not None else make_reference(demo, cfg.retarget_clearance)
    )
    run = cfg.train.run
    env = build_stage2_env(reference, cfg, local, run.num_envs, run.seed)
    from maniptrans_training.rl.config import config_to_dict

    learner = Learner(
        env,
        cfg.train,
        obs_groups=RESIDUAL_GROUPS,
        log_dir=out_dir / "stage2",
        meta={
            "stage": 2,
            "demo": demo.name,
            "sequence": sequence or demo.name,
            "sides": list(demo.sides),
            "imitators": {s: p.name for s, p in local.items()},
            "stage2": config_to_dict(dataclasses.replace(cfg, train=TrainConfig())),
        },
    )
    learner.learn(run.iterations, callback)
    learner.close()
    return learner.save(out_dir / "residual.pt")


def stage2_config_of(checkpoint: str | Path) -> tuple[Stage2Config, dict[str, Path]]:
    """The stage-2 settings and imitator paths a ``residual.pt`` was trained with."""
    from maniptrans_training.rl.config import config_from_dict

    ck = load_checkpoint(checkpoint)
    if ck.meta.get("stage") != 2:
        raise TrainingError(
            f"{checkpoint}: expected a stage-2 checkpoint, found stage {ck.meta.get('stage')!r}"
        )
    cfg = config_from_dict(Stage2Config, ck.meta["stage2"], f"{checkpoint}:meta.stage2")
    cfg = dataclasses.replace(cfg, train=ck.config)
    imitators = {s: Path(checkpoint).parent / n for s, n in ck.meta.get("imitators", {}).items()}
    return cfg, imitators


def residual_actor(checkpoint: str | Path) -> Callable[[torch.Tensor], torch.Tensor]:
    """The deterministic residual policy of a stage-2 checkpoint."""
    return load_policy(checkpoint)
