"""Frozen configs of the learners; defaults are the paper's settings (facts: "PPO").

Every config round-trips through JSON (:func:`config_to_json` / :func:`config_from_json`), which
is how checkpoints store them: no pickled objects ever.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any, TypeVar

from maniptrans_training.errors import TrainingError

C = TypeVar("C")


@dataclass(frozen=True)
class PPOConfig:
    """PPO hyper-parameters (reference: rl_games settings of ManipTrans).

    Attributes:
        gamma: discount per policy step (60 Hz).
        lam: GAE λ.
        learning_rate: initial Adam step size; adapted on KL when ``schedule == "adaptive"``.
        schedule: "adaptive" (KL-driven) or "fixed".
        desired_kl: KL target of the adaptive schedule.
        num_steps_per_env: horizon [policy steps] collected per environment per iteration.
        minibatch_size: transitions per minibatch; the number of minibatches is derived from it.
        num_learning_epochs: passes over one batch.
        clip_param: PPO ratio clip (also the value clip).
        value_loss_coef: critic loss weight.
        entropy_coef: entropy bonus weight (0: the reference keeps σ fixed instead).
        max_grad_norm: gradient-norm clip.
        clip_value_loss: clip the value update to ±``clip_param`` (as the reference does).
        reward_scale: rewards are multiplied by this before PPO sees them (logs keep the raw
            reward). The reference clips values in normalised units (rl_games' value
            normaliser); rsl-rl has none, so the stages scale their rewards (several per step,
            returns in the hundreds) down to keep the ±0.2 value clip meaningful.
    """

    gamma: float = 0.99
    lam: float = 0.95
    learning_rate: float = 5e-4
    schedule: str = "adaptive"
    desired_kl: float = 0.008
    num_steps_per_env: int = 32
    minibatch_size: int = 1024
    num_learning_epochs: int = 5
    clip_param: float = 0.2
    value_loss_coef: float = 4.0
    entropy_coef: float = 0.0
    max_grad_norm: float = 1.0
    clip_value_loss: bool = True
    reward_scale: float = 1.0

    def num_mini_batches(self, num_envs: int) -> int:
        """Minibatches per epoch for ``num_envs`` environments (at least 1)."""
        return max(1, (num_envs * self.num_steps_per_env) // self.minibatch_size)


@dataclass(frozen=True)
class PolicyConfig:
    """Actor and critic networks (MLPs; the reference adds per-input encoders in front).

    Attributes:
        actor_hidden, critic_hidden: hidden layer widths.
        activation: rsl-rl activation name ("elu", "silu", ...).
        obs_normalization: running mean/std normalisation of the inputs.
        init_std: initial action standard deviation (the reference: log σ = 0 in stage 1).
        learn_std: whether σ is trained (the reference keeps it fixed).
        output_gain: orthogonal-init gain of the actor's last layer; 0.01 makes a residual
            head start near zero. ``None`` keeps PyTorch's default initialisation.
    """

    actor_hidden: tuple[int, ...] = (256, 512, 128, 64)
    critic_hidden: tuple[int, ...] = (256, 512, 128, 64)
    activation: str = "elu"
    obs_normalization: bool = True
    init_std: float = 1.0
    learn_std: bool = False
    output_gain: float | None = None


@dataclass(frozen=True)
class RunConfig:
    """One training run.

    Attributes:
        num_envs: parallel environments.
        iterations: PPO iterations (each ``num_steps_per_env`` steps of every environment).
        seed: seeds torch, numpy and the environment.
        save_interval: checkpoint every this many iterations (0: only at the end).
        device: torch device ("cpu").
        threads: torch intra-op threads (the machines here have 2 shared cores).
    """

    num_envs: int = 64
    iterations: int = 100
    seed: int = 0
    save_interval: int = 0
    device: str = "cpu"
    threads: int = 1


@dataclass(frozen=True)
class TrainConfig:
    """Everything a learner needs besides the environment."""

    ppo: PPOConfig = field(default_factory=PPOConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    run: RunConfig = field(default_factory=RunConfig)


def config_to_dict(cfg: Any) -> dict[str, Any]:
    """A (nested) config dataclass as plain JSON-able data."""
    return dataclasses.asdict(cfg)


def config_to_json(cfg: Any) -> str:
    return json.dumps(config_to_dict(cfg), sort_keys=True)


def _coerce(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return config_from_dict(tp, value, where)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise TrainingError(f"{where}: expected a list, found {value!r}")
        args = typing.get_args(tp)
        inner = args[0] if args else Any
        return tuple(_coerce(inner, v, where) for v in value)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _coerce(args[0], value, where)
    if tp is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if tp is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise TrainingError(f"{where}: expected an integer, found {value!r}")
    if tp is bool and not isinstance(value, bool):
        raise TrainingError(f"{where}: expected true/false, found {value!r}")
    if tp is str and not isinstance(value, str):
        raise TrainingError(f"{where}: expected a string, found {value!r}")
    return value


def config_from_dict(cls: type[C], data: Any, where: str = "config") -> C:
    """Build ``cls`` from plain data; unknown keys and wrong types raise naming the key."""
    if not isinstance(data, dict):
        raise TrainingError(f"{where}: expected an object for {cls.__name__}, found {data!r}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    if unknown:
        raise TrainingError(
            f"{where}: unknown key(s) {unknown} for {cls.__name__}; valid: {sorted(names)}"
        )
    kwargs = {k: _coerce(hints[k], v, f"{where}.{k}") for k, v in data.items()}
    return cls(**kwargs)


def config_from_json(cls: type[C], text: str, where: str = "config") -> C:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise TrainingError(f"{where}: not valid JSON ({e})") from e
    return config_from_dict(cls, data, where)


def replace_path(cfg: C, dotted: str, value: Any) -> C:
    """Copy of ``cfg`` with the field at ``"a.b.c"`` replaced (for CLI/ablation overrides)."""
    head, _, rest = dotted.partition(".")
    names = {f.name for f in dataclasses.fields(cfg)}  # type: ignore[arg-type]
    if head not in names:
        raise TrainingError(
            f"override {dotted!r}: {type(cfg).__name__} has no field {head!r}; "
            f"valid: {sorted(names)}"
        )
    if rest:
        return dataclasses.replace(cfg, **{head: replace_path(getattr(cfg, head), rest, value)})  # type: ignore[type-var]
    hints = typing.get_type_hints(type(cfg))
    return dataclasses.replace(cfg, **{head: _coerce(hints[head], value, dotted)})  # type: ignore[type-var]


LOG_STD_STAGE2 = -1.0
"""log σ of the residual head (facts, stage 2)."""

STAGE2_INIT_STD = math.exp(LOG_STD_STAGE2)

CPU_STAGE2_INIT_STD = 0.12
"""σ of the residual head in the CPU preset. With ``a = clip(a_I + 2·Δa)`` the paper's e⁻¹
puts noise of ±0.74 of the half-range on every wrist force and finger target; at 64
environments per iteration the residual's mean never settles under it and the deterministic
rollout tracks the fingertips worse than the frozen imitator alone (rl/NOTES.md, "Residual σ")."""
