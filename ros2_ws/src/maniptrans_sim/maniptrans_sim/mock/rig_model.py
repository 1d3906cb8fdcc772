"""The physical model behind the emulators, and a first-order joint model needing no MuJoCo.

`RigModel` is what every emulator drives: per side, a 7-joint arm whose servos follow a position
target, and a 6-actuator hand whose actuators follow an angle target at a commanded speed and
report a force. The MuJoCo twin (`maniptrans_sim.mock.twin`) implements it physically;
`FirstOrderRig` implements it with first-order lags and velocity limits, optionally with a virtual
object per finger that pushes back like a spring, so the emulators can be developed and tested
without a model file.

All quantities are SI: radians, rad/s, newtons, seconds. The model is stepped by one thread only
(`maniptrans_sim.mock.runner`); other threads read `snapshot()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from maniptrans_sim.mock.robot_tables import (
    ARM_DOF,
    HAND_DOF,
    SIDES,
    Side,
    arm_limits,
    check_side,
    hand_actuator_limits,
)

Part = Literal["arm", "hand"]


@dataclass(frozen=True)
class RigState:
    """A copy of the model's state at one instant (what the ground-truth topics publish)."""

    time: float  # simulated time [s]
    arm_q: dict[str, np.ndarray]  # side -> (7,) [rad]
    arm_dq: dict[str, np.ndarray]  # side -> (7,) [rad/s]
    hand_q: dict[str, np.ndarray]  # side -> (6,) actuator angles [rad]
    hand_force: dict[str, np.ndarray]  # side -> (6,) fingertip force along closing [N]
    hand_joint_q: dict[str, np.ndarray] = field(default_factory=dict)  # side -> (12,) sim joints
    objects: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (7,) xyz + quat xyzw


class RigModel(Protocol):
    """The interface the emulators drive; see the module docstring."""

    sides: tuple[Side, ...]
    timestep: float  # physics step [s]

    @property
    def time(self) -> float:
        """Simulated time [s]."""
        ...

    def set_arm_target(self, side: Side, q: np.ndarray) -> None:
        """Position target of the arm's joint servos, (7,) [rad]."""
        ...

    def arm_state(self, side: Side) -> tuple[np.ndarray, np.ndarray]:
        """Measured joint positions (7,) [rad] and velocities (7,) [rad/s]."""
        ...

    def set_arm_state(self, side: Side, q: np.ndarray) -> None:
        """Place the arm at ``q`` (7,) [rad] at rest (initial conditions)."""
        ...

    def set_hand_target(
        self, side: Side, q: np.ndarray, speed: np.ndarray, force_limit: np.ndarray
    ) -> None:
        """Actuator angle targets (6,) [rad], speed limits (6,) [rad/s], force limits (6,) [N]."""
        ...

    def hand_state(self, side: Side) -> tuple[np.ndarray, np.ndarray]:
        """Actuator angles (6,) [rad] and fingertip forces (6,) [N]."""
        ...

    def hand_reference(self, side: Side) -> np.ndarray:
        """Where each hand actuator is being driven right now, (6,) [rad] (a finger pressing on
        something sits short of it; holding this reference holds the force)."""
        ...

    def set_frozen(self, side: Side, part: Part, index: int, frozen: bool) -> None:
        """Freeze (or release) one joint: it stops following its target (a mechanical fault)."""
        ...

    def step(self, n: int = 1) -> None:
        """Advance the simulation by ``n`` physics steps."""
        ...

    def snapshot(self) -> RigState:
        """A copy of the current state."""
        ...


@dataclass(frozen=True)
class FirstOrderConfig:
    """Parameters of `FirstOrderRig`."""

    timestep: float = 0.002  # physics step [s]
    arm_time_constant: float = 0.03  # servo lag of every arm joint [s]
    hand_time_constant: float = 0.02  # lag of every hand actuator [s]
    contact_stiffness: float = 40.0  # virtual object's stiffness per actuator [N/rad]
    max_hand_force: float = 15.0  # force an actuator cannot exceed [N]


class FirstOrderRig:
    """First-order joint model of both arms and hands (see the module docstring).

    ``contact_angle[side][i]``, when set (radians), places a virtual object in the closing path of
    actuator ``i``: beyond that angle the finger is pushed back with ``contact_stiffness``.
    """

    def __init__(
        self, config: FirstOrderConfig | None = None, sides: tuple[Side, ...] = SIDES
    ) -> None:
        self.config = config or FirstOrderConfig()
        if self.config.timestep <= 0:
            raise ValueError(f"timestep must be > 0 s, got {self.config.timestep}")
        self.sides = tuple(check_side(s) for s in sides)
        self.timestep = self.config.timestep
        self._time = 0.0
        lim = arm_limits()
        self._arm_vmax = lim.velocity.copy()
        self._arm_lower, self._arm_upper = lim.lower.copy(), lim.upper.copy()
        self._arm_q = {s: np.zeros(ARM_DOF) for s in self.sides}
        self._arm_dq = {s: np.zeros(ARM_DOF) for s in self.sides}
        self._arm_target = {s: np.zeros(ARM_DOF) for s in self.sides}
        self._hand_lim = {s: hand_actuator_limits(s) for s in self.sides}
        self._hand_q = {s: self._hand_lim[s][0].copy() for s in self.sides}
        self._hand_target = {s: self._hand_lim[s][0].copy() for s in self.sides}
        self._hand_speed = {s: np.full(HAND_DOF, 1.0) for s in self.sides}
        self._hand_force_limit = {s: np.full(HAND_DOF, np.inf) for s in self.sides}
        self._frozen = {(s, p): np.zeros(n, bool) for s in self.sides for p, n in _PARTS.items()}
        self.contact_angle: dict[str, list[float | None]] = {
            s: [None] * HAND_DOF for s in self.sides
        }

    @property
    def time(self) -> float:
        return self._time

    def set_arm_target(self, side: Side, q: np.ndarray) -> None:
        self._arm_target[side] = np.clip(np.asarray(q, float), self._arm_lower, self._arm_upper)

    def arm_state(self, side: Side) -> tuple[np.ndarray, np.ndarray]:
        return self._arm_q[side].copy(), self._arm_dq[side].copy()

    def set_arm_state(self, side: Side, q: np.ndarray) -> None:
        """Place the arm at ``q`` [rad] at rest (initial conditions)."""
        self._arm_q[side] = np.asarray(q, float).copy()
        self._arm_target[side] = self._arm_q[side].copy()
        self._arm_dq[side][:] = 0.0

    def set_hand_target(
        self, side: Side, q: np.ndarray, speed: np.ndarray, force_limit: np.ndarray
    ) -> None:
        lo, hi = self._hand_lim[side]
        self._hand_target[side] = np.clip(np.asarray(q, float), lo, hi)
        self._hand_speed[side] = np.maximum(np.asarray(speed, float), 0.0)
        self._hand_force_limit[side] = np.asarray(force_limit, float).copy()

    def hand_state(self, side: Side) -> tuple[np.ndarray, np.ndarray]:
        return self._hand_q[side].copy(), self._hand_force(side)

    def hand_reference(self, side: Side) -> np.ndarray:
        return self._hand_q[side].copy()

    def set_frozen(self, side: Side, part: Part, index: int, frozen: bool) -> None:
        mask = self._frozen[(check_side(side), part)]
        if not 0 <= index < mask.size:
            raise IndexError(f"{part} joint index must be in 0..{mask.size - 1}, got {index}")
        mask[index] = frozen

    def _hand_force(self, side: Side) -> np.ndarray:
        force = np.zeros(HAND_DOF)
        for i, c in enumerate(self.contact_angle.get(side, [])):
            if c is not None:
                force[i] = self.config.contact_stiffness * max(0.0, self._hand_q[side][i] - c)
        return force

    def step(self, n: int = 1) -> None:
        cfg = self.config
        dt = cfg.timestep
        for _ in range(n):
            for s in self.sides:
                q = self._arm_q[s]
                v = np.clip(
                    (self._arm_target[s] - q) / cfg.arm_time_constant,
                    -self._arm_vmax,
                    self._arm_vmax,
                )
                v[self._frozen[(s, "arm")]] = 0.0
                self._arm_dq[s] = v
                q += v * dt
                self._step_hand(s, dt)
            self._time += dt

    def _step_hand(self, s: Side, dt: float) -> None:
        cfg = self.config
        q = self._hand_q[s]
        speed = self._hand_speed[s]
        v = np.clip((self._hand_target[s] - q) / cfg.hand_time_constant, -speed, speed)
        v[self._frozen[(s, "hand")]] = 0.0
        q_new = q + v * dt
        # a finger pressing on a virtual object cannot push harder than the motor can
        for i, c in enumerate(self.contact_angle.get(s, [])):
            if c is not None:
                q_max = c + cfg.max_hand_force / cfg.contact_stiffness
                q_new[i] = min(q_new[i], max(q_max, q[i]))
        lo, hi = self._hand_lim[s]
        self._hand_q[s] = np.clip(q_new, lo, hi)

    def snapshot(self) -> RigState:
        return RigState(
            time=self._time,
            arm_q={s: self._arm_q[s].copy() for s in self.sides},
            arm_dq={s: self._arm_dq[s].copy() for s in self.sides},
            hand_q={s: self._hand_q[s].copy() for s in self.sides},
            hand_force={s: self._hand_force(s) for s in self.sides},
        )


_PARTS: dict[str, int] = {"arm": ARM_DOF, "hand": HAND_DOF}
