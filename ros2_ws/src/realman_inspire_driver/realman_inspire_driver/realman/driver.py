"""RM75 arm driver logic (pure): soft start with ``movej``, passthrough streaming, controller
errors as faults, joint health at a low rate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from realman_inspire_driver.codecs.realman_errors import (
    describe_joint_error,
    describe_system_error,
)
from realman_inspire_driver.codecs.realman_json import ArmState, JointHealth
from realman_inspire_driver.device_driver import DeviceDriver, Measurement
from realman_inspire_driver.errors import CommandRejectedError, ConfigError
from realman_inspire_driver.loop import Backoff
from realman_inspire_driver.realman.client import ArmLinkConfig, RealManArm
from realman_inspire_driver.safety.gate import Action, Mode, SafetyGate


@dataclass(frozen=True)
class ArmDriverConfig:
    """Arm driver settings.

    Attributes:
        link: controller address and timeouts.
        soft_start_speed: ``movej`` speed for the soft start [% of the joint speed limits].
        health_every: control periods between joint health reads (temperatures, joint errors).
        soft_start_retries: refused soft-start moves retried before it becomes a fault (the
            controller refuses ``movej`` for a moment after passthrough frames).
        soft_start_retry_delay: wait before retrying a refused soft start [s].
        soft_start_settle: after the controller reports the soft-start move finished, the
            measured pose must reach the target within this long, else it is a fault [s].
        state_push: read the state from the controller's UDP real-time push (sent every
            ``push_period`` to ``push_port`` of this computer) instead of asking for it over TCP
            every period.
        push_port: the UDP port for the push; 0 takes a free one at each connect.
        push_period: push period [s] (5 ms steps).
        push_stale: with the push on, a state older than this is not used; the driver asks
            over TCP for that period instead (counted as ``push_stale``) [s].
    """

    link: ArmLinkConfig = field(default_factory=ArmLinkConfig)
    soft_start_speed: int = 10
    health_every: int = 100
    soft_start_retries: int = 10
    soft_start_retry_delay: float = 0.5
    soft_start_settle: float = 1.0
    state_push: bool = False
    push_port: int = 0
    push_period: float = 0.01
    push_stale: float = 0.05

    def __post_init__(self) -> None:
        if not 0 <= self.push_port <= 65535:
            raise ConfigError(
                f"push_port must be 0 (any free port) or a UDP port, got {self.push_port}"
            )
        if not (self.push_period > 0 and self.push_stale > 0):
            raise ConfigError(
                f"push_period and push_stale must be > 0 s, got {self.push_period} and "
                f"{self.push_stale}"
            )
        if not 1 <= self.soft_start_speed <= 100:
            raise ConfigError(f"soft_start_speed must be in 1..100 %, got {self.soft_start_speed}")
        if self.health_every < 1:
            raise ConfigError(f"health_every must be >= 1, got {self.health_every}")


class ArmDriver(DeviceDriver):
    """One RM75 behind its controller; ``gate.limits.names`` gives the joint names."""

    device = "arm"
    # the client closes the connection on a command's timeout; a late state read keeps it
    # (three failed periods in a row are a lost device all the same)
    timeout_is_loss = True

    def __init__(
        self,
        config: ArmDriverConfig,
        gate: SafetyGate,
        client_factory: Callable[[ArmLinkConfig], RealManArm] = RealManArm,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__(gate, failures_to_disconnect=3, backoff=backoff)
        self.config = config
        self.client = client_factory(config.link)
        self.names = gate.limits.names
        self.controller_errors: tuple[int, ...] = ()
        self.health: JointHealth | None = None
        self._ticks = 0
        self._refusals = 0
        self._retry_at = 0.0
        self._move_ended_at: float | None = None
        self._pushed: tuple[float, ArmState] | None = None  # (arrival, state) of the push
        self.push_stale = 0  # periods whose pushed state was too old (asked over TCP)

    def _open(self) -> np.ndarray:
        self.client.connect()
        state = self.client.get_state()
        self.controller_errors = state.errors
        if self.config.state_push:
            self.client.start_push(self.config.push_port, self.config.push_period)
            self._pushed = (self._now, state)
        return state.q

    def _read_state(self, now: float) -> ArmState:
        """This period's state: the newest push (or the last one while it is fresh), else a
        TCP request."""
        if self.client.pushing:
            state = self.client.pushed_state()
            if state is not None:
                self._pushed = (now, state)
                return state
            if self._pushed is not None and now - self._pushed[0] <= self.config.push_stale:
                return self._pushed[1]
            self.push_stale += 1
        return self.client.get_state()

    def _close(self) -> None:
        self.client.close()

    def _cycle(self, now: float) -> Measurement:
        state = self._read_state(now)
        self.controller_errors = state.errors
        if state.errors and self.gate.fault is None:
            words = ", ".join(describe_system_error(c) for c in state.errors)
            self.gate.set_fault(f"controller error: {words}")
        if now >= self._retry_at:
            ended = self.client.last_trajectory  # None while the soft-start movej runs
            finished = ended is not None and ended.success and not ended.more_segments
            self._send(self.gate.step(now, state.q, move_finished=finished))
        self._check_soft_start_arrival(now, state.q)
        if self.gate.ready:
            self._refusals = 0
        self._ticks += 1
        if self._ticks % self.config.health_every == 0:
            self.health = self.client.get_health()
        return Measurement(self.names, state.q)

    def _check_soft_start_arrival(self, now: float, q: np.ndarray) -> None:
        """Turn a soft-start move that ended away from its target into a fault at once, rather
        than waiting for the gate's soft-start timeout."""
        target = self.gate.soft_start_target
        ended = self.client.last_trajectory
        if self.gate.mode != Mode.SOFT_START or target is None or ended is None:
            self._move_ended_at = None
            return
        if ended.more_segments:
            return
        if not ended.success:
            self.gate.set_fault("controller reports the soft-start movej failed")
            return
        if self._move_ended_at is None:
            self._move_ended_at = now
        elif now - self._move_ended_at > self.config.soft_start_settle:
            error = float(np.max(np.abs(q - target)))
            self.gate.set_fault(
                f"soft-start movej ended but the arm stands {error:.3f} rad from its target"
            )

    def _send(self, action: Action) -> None:
        if action.kind == "move_to":
            try:
                self.client.movej(action.q, self.config.soft_start_speed)
            except CommandRejectedError as exc:
                self._refusals += 1
                if self._refusals > self.config.soft_start_retries:
                    self.gate.set_fault(f"soft start refused {self._refusals} times: {exc}")
                else:
                    self.gate.retry_soft_start("soft_start_refused")
                    self._retry_at = self._now + self.config.soft_start_retry_delay
        elif action.kind == "stream":
            self.client.stream(action.q)
        # hold / idle: send nothing, the controller keeps its last set-point

    def _on_latch(self, reason: str) -> None:
        self.client.stop()

    def _clear_error(self) -> str:
        if self.connected:
            self.client.clear_system_err()
        self.gate.clear_fault()
        return "controller errors cleared; soft start required before streaming resumes"

    def _device_status(self) -> dict[str, object]:
        out: dict[str, object] = {
            "controller_errors": [describe_system_error(c) for c in self.controller_errors],
            "late_replies_dropped": self.client.late_dropped,
        }
        if self.config.state_push:
            out["state_push"] = {
                "port": self.client.push_port,
                "received": self.client.pushes,
                "stale_periods": self.push_stale,
                "ignored": self.client.pushes_ignored,
            }
        if self.health is not None:
            out["temperature_c"] = [round(float(t), 1) for t in self.health.temperature]
            out["joint_errors"] = {
                name: list(describe_joint_error(code))
                for name, code in zip(self.names, self.health.joint_errors, strict=True)
                if code
            }
        return out
