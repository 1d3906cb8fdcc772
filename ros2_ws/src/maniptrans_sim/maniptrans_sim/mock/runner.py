"""The one thread that steps the rig model and runs every device's control step.

Real time by default (``speed`` = 1: one simulated second per wall second); ``speed`` > 1 runs
faster than real time, ``speed`` = 0 as fast as the CPU allows. Devices (arm controllers, hand
firmware) are called every ``control_period`` of simulated time, before the physics steps of that
period, from this thread only; the protocol servers in other threads talk to the devices, never to
the model. Other threads read the latest `RigState` through `snapshot()`.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from maniptrans_sim.mock.errors import MockRigError
from maniptrans_sim.mock.rig_model import RigModel, RigState


class Device(Protocol):
    """Something with firmware that runs at the control rate (arm controller, hand).

    A device with a ``control_period`` attribute [s] is called at that period (rounded to a
    multiple of the runner's); others every runner period.
    """

    def control_step(self, model: RigModel) -> None:
        """Read the model's measurements and write its targets; called by the runner thread."""
        ...


@dataclass(frozen=True)
class RunnerConfig:
    """How the runner paces the simulation."""

    speed: float = 1.0  # simulated seconds per wall second; 0 = as fast as possible
    control_period: float = 0.004  # period of the devices' control steps [s] (simulated)
    snapshot_period: float = 0.01  # how often the state copy for other threads is taken [s]
    max_lag: float = 0.25  # wall lag [s] after which the runner stops catching up (drops time)


class TwinRunner:
    """Steps ``model`` in a background thread (see the module docstring)."""

    def __init__(
        self, model: RigModel, devices: Sequence[Device] = (), config: RunnerConfig | None = None
    ) -> None:
        self.model = model
        self.devices = list(devices)
        self.config = config or RunnerConfig()
        if self.config.speed < 0:
            raise MockRigError(f"speed must be >= 0 (0 = unpaced), got {self.config.speed}")
        self._steps_per_control = max(1, round(self.config.control_period / model.timestep))
        period = self._steps_per_control * model.timestep
        self._decimation = [
            max(1, round(getattr(d, "control_period", period) / period)) for d in self.devices
        ]
        self._snapshot_every = max(1, round(self.config.snapshot_period / period))
        self._periods = 0
        self._lock = threading.Lock()
        self._state = model.snapshot()
        self._sim_time = model.time
        self._calls: collections.deque[Callable[[RigModel], None]] = collections.deque()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._wall_running = 0.0
        self._sim_running = 0.0

    # ---- thread-safe accessors -------------------------------------------------------------
    @property
    def sim_time(self) -> float:
        """Simulated time after the latest control period [s]."""
        return self._sim_time

    def snapshot(self) -> RigState:
        """The latest state copy (taken every ``snapshot_period``)."""
        with self._lock:
            return self._state

    def call_soon(self, fn: Callable[[RigModel], None]) -> None:
        """Run ``fn(model)`` in the runner thread before its next control period."""
        self._calls.append(fn)

    @property
    def real_time_factor(self) -> float:
        """Simulated seconds per wall second since `start` (0 before any step)."""
        return self._sim_running / self._wall_running if self._wall_running > 0 else 0.0

    @property
    def error(self) -> BaseException | None:
        """The exception that stopped the thread, if one did."""
        return self._error

    # ---- stepping --------------------------------------------------------------------------
    def advance(self, sim_seconds: float) -> None:
        """Step synchronously by ``sim_seconds`` (only when the thread is not running)."""
        if self._thread is not None and self._thread.is_alive():
            raise MockRigError("advance() called while the runner thread is running")
        n = max(1, round(sim_seconds / (self.model.timestep * self._steps_per_control)))
        for _ in range(n):
            self._control_period()

    def _control_period(self) -> None:
        while self._calls:
            self._calls.popleft()(self.model)
        k = self._periods
        for dev, every in zip(self.devices, self._decimation, strict=True):
            if k % every == 0:
                dev.control_step(self.model)
        self.model.step(self._steps_per_control)
        self._periods = k + 1
        self._sim_time = self.model.time
        if self._periods % self._snapshot_every == 0:
            state = self.model.snapshot()
            with self._lock:
                self._state = state

    def start(self) -> None:
        """Start the stepping thread."""
        if self._thread is not None:
            raise MockRigError("runner already started")
        self._thread = threading.Thread(target=self._run, name="twin-runner", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the stepping thread and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        speed = self.config.speed
        period = self.model.timestep * self._steps_per_control
        wall0 = time.perf_counter()
        sim0 = self.model.time
        try:
            while not self._stop.is_set():
                if speed > 0:
                    wall = time.perf_counter()
                    sim_due = sim0 + (wall - wall0) * speed
                    behind = sim_due - self.model.time
                    if behind > self.config.max_lag * speed:  # overloaded: drop the backlog
                        wall0 = wall
                        sim0 = self.model.time
                        behind = 0.0
                    if behind < period:
                        time.sleep(min(0.002, (period - behind) / speed))
                        continue
                self._control_period()
                self._wall_running = time.perf_counter() - wall0
                self._sim_running = self.model.time - sim0
        except BaseException as exc:  # keep the reason for whoever asks; never die silently
            self._error = exc
            raise
