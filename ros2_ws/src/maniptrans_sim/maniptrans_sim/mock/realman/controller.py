"""The RealMan controller's behaviour, independent of sockets: commands in, replies and events out.

Wire facts follow ``facts/realman_protocol.md`` (SDK 1.1.6 forms). Units on the wire are the
controller's (0.001°, µm, 0.001 rad, ...); everything inside is SI and converted only in
`_deg_milli` / `_from_milli_deg`.

Rules this emulator enforces (the mapping of rule to code is ours where the facts say [INF]):

- ``movej``: a target outside the joint limits is refused (``receive_state:false``) and latches
  system error 0x1002. The move follows a synchronised minimum-jerk profile whose peak joint speed
  is ``v`` % of the joint speed limit; when it ends, ``current_trajectory_state`` is sent
  (``trajectory_state`` true if the arm arrived within ``arrival_tolerance``; false on an error
  or a stalled joint). ``trajectory_connect:1`` queues a segment until a move with ``0`` arrives.
- ``movej_canfd`` high follow (``follow:true``): a frame outside the limits is ignored and latches
  0x1002 (+ joint error 0x0200); a frame more than ``step_limit`` (10°) from the previous one is
  ignored and latches joint error 0x4000 on those joints; a frame whose implied joint speed exceeds
  the speed limit is ignored and latches 0x1009. Low follow (``follow:false``) runs an online
  planner: targets are clamped to the limits and approached at no more than the speed limit.
- A joint that lags its setpoint by more than ``tracking_limit`` (a frozen or blocked joint)
  latches joint error 0x0800 and the arm stops (holds where it is).
- Errors latch until ``clear_system_err`` (clears all) or ``set_joint_clear_err`` (one joint);
  while any error is latched, or the arm is powered off, every motion command is refused.
- ``set_arm_stop`` holds the arm where it is and drops the queued moves; no arrival message is
  sent, and ``get_arm_current_trajectory`` reports ``none`` so a blocked SDK call returns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from maniptrans_sim.mock.rig_model import RigModel
from maniptrans_sim.mock.robot_tables import (
    ARM_DOF,
    Side,
    arm_limits,
    check_side,
    flange_pose,
    mdh_table,
)

# system / arm error codes (facts §9)
ERR_JOINT_LIMIT = 0x1002
ERR_OVERSPEED = 0x1007
ERR_SPEED_LIMIT = 0x1009
ERR_COLLISION = 0x100D
# joint error flags
JERR_POSITION_LIMIT = 0x0200
JERR_TRACKING = 0x0800
JERR_STEP = 0x4000

EventSink = Callable[[Any, dict[str, Any]], None]  # (session, message)


@dataclass(frozen=True)
class ArmConfig:
    """One emulated controller. Angles [rad], speeds [rad/s], times [s] (simulated)."""

    side: Side
    product_version: str = "RM75-B"  # model and end-effector suffix the SDK decodes
    variant: str = "rm75_b"  # kinematics for the reported flange pose
    initial_q: tuple[float, ...] = (0.0,) * ARM_DOF  # [rad]
    max_acceleration: float = np.deg2rad(600.0)  # joint acceleration limit [rad/s^2]
    step_limit: float = np.deg2rad(10.0)  # high-follow passthrough: max change per frame [rad]
    tracking_limit: float = np.deg2rad(20.0)  # setpoint - measured beyond this: 0x0800 [rad]
    arrival_tolerance: float = np.deg2rad(0.2)  # movej counts as arrived within this [rad]
    settle_timeout: float = 1.0  # after the planned end, a move that has not arrived fails [s]
    stream_idle: float = 0.1  # passthrough counts as streaming this long after a frame [s]
    slow_stop_time: float = 0.3  # duration of a slow stop [s]


@dataclass
class _Segment:
    q_goal: np.ndarray  # (7,) [rad]
    v_percent: float
    session: Any
    t0: float = 0.0
    q0: np.ndarray = field(default_factory=lambda: np.zeros(ARM_DOF))
    duration: float = 0.0
    started: bool = False


@dataclass
class PushConfig:
    """UDP real-time push settings (``set_realtime_push``)."""

    enable: bool = False
    cycle: int = 1  # period in 5 ms units
    port: int = 8089
    ip: str = "127.0.0.1"
    force_coordinate: int = -1
    custom: dict[str, bool] = field(
        default_factory=lambda: {
            "joint_speed": False,
            "lift_state": False,
            "expand_state": False,
            "arm_current_status": True,
            "aloha_state": False,
            "hand": False,
        }
    )


def _deg_milli(q: np.ndarray) -> list[int]:
    """Radians -> integer 0.001° (the wire unit of joint angles)."""
    return [round(float(x)) for x in np.rad2deg(np.asarray(q, float)) * 1000.0]


def _from_milli_deg(values: Any, n: int) -> np.ndarray | None:
    """Integer 0.001° list of length ``n`` -> radians, or None when malformed."""
    if not isinstance(values, list) or len(values) != n:
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return None
    arr = np.deg2rad(np.asarray(values, float) / 1000.0)
    return arr if np.all(np.isfinite(arr)) else None


def min_jerk(s: float) -> float:
    """Minimum-jerk position profile on normalised time s in [0, 1] -> [0, 1]."""
    s = min(max(s, 0.0), 1.0)
    return s**3 * (10.0 - 15.0 * s + 6.0 * s * s)


class RealmanController:
    """One arm's controller (see the module docstring). Thread-safe.

    ``handle`` runs in the server's thread; ``control_step`` in the runner thread. Unsolicited
    messages (move arrival) go to ``event_sink(session, message)``.
    """

    def __init__(self, config: ArmConfig, event_sink: EventSink | None = None) -> None:
        check_side(config.side)
        self.config = config
        self.event_sink = event_sink
        lim = arm_limits(config.variant)
        self.lower, self.upper, self.max_speed = lim.lower, lim.upper, lim.velocity
        self._mdh = mdh_table(config.variant)
        self._lock = threading.RLock()
        q0 = np.asarray(config.initial_q, float)
        if q0.shape != (ARM_DOF,):
            raise ValueError(f"initial_q must have {ARM_DOF} angles, got {q0.shape}")
        self._q = q0.copy()  # measured [rad]
        self._dq = np.zeros(ARM_DOF)
        self._sp = q0.copy()  # setpoint sent to the servos [rad]
        self._sp_vel = np.zeros(ARM_DOF)  # setpoint velocity [rad/s]
        self._time = 0.0
        self.sys_errors: list[int] = []
        self.joint_errors = np.zeros(ARM_DOF, dtype=np.int64)
        self.powered = True
        self.mode = "idle"  # idle | movej | canfd | stop | slow_stop
        self._pending: list[_Segment] = []  # trajectory_connect=1 segments not yet started
        self._queue: list[_Segment] = []  # segments being executed, first = current
        self._stream_target = q0.copy()
        self._stream_follow = True
        self._last_frame_t: float | None = None
        self._frame_dt = 0.01  # running estimate of the frame period [s]
        self.push = PushConfig()
        self.stats: dict[str, int] = {"frames": 0, "frames_ignored": 0, "commands": 0}

    # ---------------------------------------------------------------- state for servers/tests
    @property
    def time(self) -> float:
        """Simulated time of the latest control step [s]."""
        return self._time

    def measured(self) -> tuple[np.ndarray, np.ndarray]:
        """Latest measured joint positions [rad] and velocities [rad/s]."""
        with self._lock:
            return self._q.copy(), self._dq.copy()

    def error_list(self) -> list[int]:
        """The ``err`` array of state replies: latched system errors, ``[0]`` when none."""
        with self._lock:
            return list(self.sys_errors) if self.sys_errors else [0]

    def has_error(self) -> bool:
        """True while any system or joint error is latched."""
        return bool(self.sys_errors) or bool(np.any(self.joint_errors))

    def status(self) -> str:
        """``arm_current_status`` of the UDP push."""
        with self._lock:
            if self.mode == "movej":
                return "move_J"
            if self.mode == "canfd" and self._streaming():
                return "move_through_joint"
            if self.mode in ("stop", "slow_stop"):
                return self.mode
            return "idle"

    def _streaming(self) -> bool:
        return (
            self._last_frame_t is not None
            and self._time - self._last_frame_t <= self.config.stream_idle
        )

    # ---------------------------------------------------------------- faults
    def raise_error(self, code: int) -> None:
        """Latch a system error (e.g. 0x100D collision) and stop the arm."""
        with self._lock:
            self._latch(code)
            self._halt(reason_failed=True)

    def raise_joint_error(self, joint: int, code: int) -> None:
        """Latch a joint error flag on ``joint`` (0-based) and stop the arm."""
        with self._lock:
            self.joint_errors[joint] |= code
            self._halt(reason_failed=True)

    def _latch(self, code: int) -> None:
        if code not in self.sys_errors:
            self.sys_errors.append(code)

    def _halt(self, reason_failed: bool) -> None:
        """Hold where the arm is; fail the running move (arrival with false) if asked."""
        current = self._queue[0] if self._queue else None
        self._queue.clear()
        self._pending.clear()
        self._sp = self._q.copy()
        self._stream_target = self._q.copy()
        self._last_frame_t = None
        self.mode = "stop"
        if current is not None and reason_failed:
            self._emit(current.session, trajectory_state=False, connect=0)

    def _emit(self, session: Any, trajectory_state: bool, connect: int) -> None:
        if self.event_sink is not None:
            self.event_sink(
                session,
                {
                    "state": "current_trajectory_state",
                    "trajectory_state": trajectory_state,
                    "device": 0,
                    "trajectory_connect": connect,
                },
            )

    # ---------------------------------------------------------------- control loop
    def control_step(self, model: RigModel) -> None:
        """Read the arm from the model, advance the setpoint, check the rules, write the target."""
        side = self.config.side
        q, dq = model.arm_state(side)
        with self._lock:
            dt = max(model.time - self._time, 0.0)
            self._time = model.time
            self._q, self._dq = q, dq
            if not self.powered:
                self._sp = q.copy()
                model.set_arm_target(side, self._sp)
                return
            sp_before = self._sp
            if self.mode in ("movej", "slow_stop"):
                self._advance_segment()
            elif self.mode == "canfd":
                if self._stream_follow:
                    self._sp = self._stream_target  # replaced, never modified in place
                else:  # online planner: speed-limited approach
                    lim = self.max_speed * dt
                    step = np.minimum(np.maximum(self._stream_target - self._sp, -lim), lim)
                    self._sp = self._sp + step
            if dt > 0:
                self._sp_vel = (self._sp - sp_before) / dt
            lag = np.abs(self._sp - q)
            bad = lag > self.config.tracking_limit
            if bad.any():
                self.joint_errors[bad] |= JERR_TRACKING
                self._halt(reason_failed=True)
            model.set_arm_target(side, self._sp)

    def _advance_segment(self) -> None:
        seg = self._queue[0] if self._queue else None
        if seg is None:
            self.mode = "idle" if self.mode == "movej" else self.mode
            return
        if not seg.started:
            self._start_segment(seg)
        s = (self._time - seg.t0) / seg.duration if seg.duration > 0 else 1.0
        self._sp = seg.q0 + (seg.q_goal - seg.q0) * min_jerk(s)
        if s < 1.0:
            return
        arrived = np.max(np.abs(self._q - seg.q_goal)) <= self.config.arrival_tolerance
        timed_out = self._time - (seg.t0 + seg.duration) > self.config.settle_timeout
        if self.mode == "slow_stop":
            if arrived or timed_out:
                self._queue.clear()
            return
        if arrived or timed_out:
            self._queue.pop(0)
            if timed_out and not arrived:
                off = np.abs(self._q - seg.q_goal) > self.config.arrival_tolerance
                self.joint_errors[off] |= JERR_TRACKING
                self._halt(reason_failed=False)
                self._emit(seg.session, trajectory_state=False, connect=0)
                return
            more = bool(self._queue)
            self._emit(seg.session, trajectory_state=True, connect=1 if more else 0)
            if not more:
                self.mode = "idle"

    def _start_segment(self, seg: _Segment) -> None:
        seg.started = True
        seg.t0 = self._time
        seg.q0 = self._sp.copy()
        delta = np.abs(seg.q_goal - seg.q0)
        vmax = self.max_speed * max(seg.v_percent, 1.0) / 100.0
        # min-jerk peak speed 1.875 d/T and peak acceleration 5.77 d/T^2
        t_speed = np.max(1.875 * delta / vmax)
        t_acc = np.max(np.sqrt(5.7735 * delta / self.config.max_acceleration))
        seg.duration = float(max(t_speed, t_acc, 1e-3))

    # ---------------------------------------------------------------- commands
    def handle(self, request: dict[str, Any], session: Any = None) -> dict[str, Any] | None:
        """Execute one request; return the reply (None for commands that have none)."""
        name = request.get("command")
        handler = _HANDLERS.get(name) if isinstance(name, str) else None
        with self._lock:
            self.stats["commands"] += 1
            if handler is None:
                return None
            return handler(self, request, session)

    def _pose_wire(self) -> list[int]:
        T = flange_pose(self._q, self._mdh)
        rpy = Rotation.from_matrix(T[:3, :3]).as_euler("xyz")  # roll, pitch, yaw
        return [round(float(x * 1e6)) for x in T[:3, 3]] + [round(float(a * 1000)) for a in rpy]

    def _trajectory_type(self) -> str:
        return "movej" if self.mode == "movej" and self._queue else "none"

    def _movej(self, req: dict[str, Any], session: Any) -> dict[str, Any]:
        reply = {"command": "movej", "receive_state": False}
        q = _from_milli_deg(req.get("joint"), ARM_DOF)
        v = req.get("v", 0)
        connect = req.get("trajectory_connect", 0)
        if q is None or not isinstance(v, (int, float)) or not 0 < v <= 100:
            return reply
        if np.any(q < self.lower) or np.any(q > self.upper):
            self._latch(ERR_JOINT_LIMIT)
            return reply
        if not self.powered or self.has_error() or (self.mode == "canfd" and self._streaming()):
            return reply
        self._pending.append(_Segment(q, float(v), session))
        if connect != 1:
            if self.mode != "movej":
                self._queue.clear()
                self.mode = "movej"
            self._queue.extend(self._pending)
            self._pending.clear()
        reply["receive_state"] = True
        return reply

    def _movej_canfd(self, req: dict[str, Any], session: Any) -> None:
        self.stats["frames"] += 1
        q = _from_milli_deg(req.get("joint"), ARM_DOF)
        follow = bool(req.get("follow", False))
        if q is None or not self.powered or self.has_error() or self.mode == "movej":
            self.stats["frames_ignored"] += 1
            return None
        t = self._time
        if not follow:
            q = np.minimum(np.maximum(q, self.lower), self.upper)
        else:
            out = (q < self.lower) | (q > self.upper)
            if out.any():
                self.joint_errors[out] |= JERR_POSITION_LIMIT
                self._latch(ERR_JOINT_LIMIT)
                self.stats["frames_ignored"] += 1
                return None
            ref = self._stream_target if self.mode == "canfd" and self._streaming() else self._sp
            step = np.abs(q - ref)
            big = step > self.config.step_limit
            if big.any():
                self.joint_errors[big] |= JERR_STEP
                self.stats["frames_ignored"] += 1
                return None
            if self._streaming() and self._last_frame_t is not None:
                dt = t - self._last_frame_t
                self._frame_dt = 0.8 * self._frame_dt + 0.2 * min(max(dt, 1e-3), 0.1)
                if (step / self._frame_dt > self.max_speed * 1.05).any():
                    self._latch(ERR_SPEED_LIMIT)
                    self.stats["frames_ignored"] += 1
                    return None
        self.mode = "canfd"
        self._stream_follow = follow
        self._stream_target = q
        self._last_frame_t = t
        return None

    def _stop(self, req: dict[str, Any], session: Any) -> dict[str, Any]:
        self._halt(reason_failed=False)
        return {"command": "set_arm_stop", "arm_stop": True}

    def _slow_stop(self, req: dict[str, Any], session: Any) -> dict[str, Any]:
        # decelerate from the current setpoint velocity to rest along the same direction
        v = self._sp_vel
        goal = np.clip(self._sp + v * self.config.slow_stop_time / 2, self.lower, self.upper)
        seg = _Segment(goal, 100.0, None, t0=self._time, q0=self._sp.copy(), started=True)
        seg.duration = self.config.slow_stop_time
        self._queue[:] = [seg]
        self._pending.clear()
        self._last_frame_t = None
        self.mode = "slow_stop"
        return {"command": "set_arm_slow_stop", "arm_slow_stop": True}

    def _clear_system_err(self, req: dict[str, Any], session: Any) -> dict[str, Any]:
        self.sys_errors.clear()
        self.joint_errors[:] = 0
        if self.mode == "stop":
            self.mode = "idle"
        return {"command": "clear_system_err", "clear_state": True}

    def _joint_clear_err(self, req: dict[str, Any], session: Any) -> dict[str, Any]:
        j = req.get("joint_clear_err")
        ok = isinstance(j, int) and 1 <= j <= ARM_DOF
        if ok:
            self.joint_errors[j - 1] = 0
        return {"command": "set_joint_clear_err", "joint_clear_err": ok}

    def _set_power(self, req: dict[str, Any], session: Any) -> dict[str, Any]:
        p = req.get("arm_power")
        ok = p in (0, 1)
        if ok:
            self.powered = bool(p)
            if not self.powered:
                self._halt(reason_failed=True)
        return {"command": "set_arm_power", "arm_power": ok}

    def _set_push(self, req: dict[str, Any], session: Any) -> dict[str, Any]:
        ok = (
            isinstance(req.get("cycle"), int)
            and req["cycle"] > 0
            and isinstance(req.get("port"), int)
            and 0 < req["port"] < 65536
        )
        if ok:
            self.push.enable = bool(req.get("enable", self.push.enable))
            self.push.cycle = req["cycle"]
            self.push.port = req["port"]
            self.push.ip = str(req.get("ip", self.push.ip))
            if isinstance(req.get("custom"), dict):
                for k, val in req["custom"].items():
                    self.push.custom[k] = bool(val)
        return {"command": "set_realtime_push", "state": ok}

    def _get_push(self, req: dict[str, Any], session: Any) -> dict[str, Any]:
        p = self.push
        return {
            "command": "get_realtime_push",
            "cycle": p.cycle,
            "enable": p.enable,
            "port": p.port,
            "ip": p.ip,
            "force_coordinate": p.force_coordinate,
            "custom": dict(p.custom),
        }

    def _software_info(self, req: dict[str, Any], session: Any) -> dict[str, Any]:
        return {
            "command": "arm_software_info",
            "Product_version": self.config.product_version,
            "algorithm_info": {"version": "maniptrans-mock"},
            "ctrl_info": {"build_time": "2025-01-01", "version": "mock-1.0"},
            "dynamic_info": {"model_version": "mock"},
            "plan_info": {"build_time": "2025-01-01", "version": "mock-1.0"},
        }

    def _current_trajectory(self, req: dict[str, Any], session: Any) -> dict[str, Any]:
        return {
            "state": "arm_current_trajectory",
            "type": self._trajectory_type(),
            "data": _deg_milli(self._q),
        }

    def _arm_state(self, req: dict[str, Any], session: Any) -> dict[str, Any]:
        err = self.error_list()
        return {
            "state": "current_arm_state",
            "arm_state": {
                "joint": _deg_milli(self._q),
                "pose": self._pose_wire(),
                "err": err,
                "arm_err": err[0],
                "sys_err": 0,
            },
        }

    def push_message(self) -> dict[str, Any]:
        """The UDP real-time push datagram (facts §7)."""
        with self._lock:
            T = flange_pose(self._q, self._mdh)
            rot = Rotation.from_matrix(T[:3, :3])
            x, y, z, w = rot.as_quat()
            err = self.error_list()
            msg: dict[str, Any] = {
                "state": "realtime_arm_joint_state",
                "joint_status": {
                    "joint_position": _deg_milli(self._q),
                    "joint_current": self._currents(),
                    "joint_voltage": [48000] * ARM_DOF,
                    "joint_temperature": [38000] * ARM_DOF,
                    "joint_en_flag": [1 if self.powered else 0] * ARM_DOF,
                    "joint_err_code": [int(e) for e in self.joint_errors],
                },
                "waypoint": {
                    "position": [round(float(v * 1e6)) for v in T[:3, 3]],
                    "euler": [round(float(a * 1000)) for a in rot.as_euler("xyz")],
                    "quat": [round(float(v * 1e6)) for v in (w, x, y, z)],
                },
                "err": err,
                "arm_err": err[0],
                "sys_err": 0,
            }
            if self.push.custom.get("joint_speed"):
                # documented unit 0.01 RPM; 1 RPM = 6 deg/s
                rpm = np.rad2deg(self._dq) / 6.0
                msg["joint_status"]["joint_speed"] = [round(float(v * 100)) for v in rpm]
            if self.push.custom.get("arm_current_status", True):
                msg["arm_current_status"] = self.status()
            return msg

    def _currents(self) -> list[int]:
        # a plausible joint current [0.001 mA]: idle draw plus a velocity-dependent part
        return [int(200_000 + 400_000 * abs(v)) for v in self._dq]

    def _all_state(self, req: dict[str, Any], session: Any) -> dict[str, Any]:
        err = self.error_list()
        return {
            "state": "arm_all_state",
            "all_state": {
                "temperature": [38000] * ARM_DOF,
                "current": self._currents(),
                "voltage": [48000] * ARM_DOF,
                "err_flag": [int(e) for e in self.joint_errors],
                "en_flag": [1 if self.powered else 0] * ARM_DOF,
                "err": err,
            },
            "sys_err": 0,
        }

    def _joint_err_flag(self, req: dict[str, Any], session: Any) -> dict[str, Any]:
        return {
            "state": "joint_err_flag",
            "err_flag": [int(e) for e in self.joint_errors],
            "brake_state": [0] * ARM_DOF,
        }

    def _static(self, req: dict[str, Any], session: Any) -> dict[str, Any]:
        name = req["command"]
        rpm_milli = [round(float(v)) for v in np.rad2deg(self.max_speed) / 6.0 * 1000]
        acc_milli = round(float(np.rad2deg(self.config.max_acceleration) / 6.0 * 1000))
        if name == "get_joint_degree":
            return {"state": "joint_degree", "joint": _deg_milli(self._q)}
        if name == "get_current_work_frame":
            return {"state": "current_work_frame", "frame_name": "World", "pose": [0] * 6}
        if name == "get_current_tool_frame":
            return {
                "state": "current_tool_frame",
                "tool_name": "Arm_Tip",
                "pose": [0] * 6,
                "payload": 0,
                "position": [0, 0, 0],
            }
        if name == "get_install_pose":
            return {"state": "install_pose", "pose": [0, 0, 0]}
        if name == "get_joint_min_pos":
            return {"state": "joint_min_pos", "min_pos": _deg_milli(self.lower)}
        if name == "get_joint_max_pos":
            return {"state": "joint_max_pos", "max_pos": _deg_milli(self.upper)}
        if name == "get_joint_max_speed":
            return {"state": "joint_max_speed", "joint_speed": rpm_milli}
        if name == "get_joint_max_acc":
            return {"state": "joint_max_acc", "joint_acc": [acc_milli] * ARM_DOF}
        if name == "get_arm_power_state":
            return {"state": "arm_power_state", "power_state": 1 if self.powered else 0}
        if name == "get_controller_state":
            return {
                "state": "controller_state",
                "voltage": 48000,
                "current": 1500,
                "temperature": 40000,
                "err_flag": 0,
            }
        # get_DH_data
        reply: dict[str, Any] = {"command": "get_DH_data"}
        for i, (a, alpha, d, offset) in enumerate(self._mdh, start=1):
            reply[f"joint_{i}"] = [
                round(float(np.rad2deg(alpha) * 1000)),
                round(float(a * 1e6)),
                round(float(d * 1e6)),
                round(float(np.rad2deg(offset) * 1000)),
            ]
        return reply


_Handler = Callable[[RealmanController, dict[str, Any], Any], "dict[str, Any] | None"]
_HANDLERS: dict[str, _Handler] = {
    "get_arm_software_info": RealmanController._software_info,
    "get_arm_current_trajectory": RealmanController._current_trajectory,
    "get_realtime_push": RealmanController._get_push,
    "set_realtime_push": RealmanController._set_push,
    "get_current_arm_state": RealmanController._arm_state,
    "get_arm_all_state": RealmanController._all_state,
    "get_joint_err_flag": RealmanController._joint_err_flag,
    "movej": RealmanController._movej,
    "movej_canfd": RealmanController._movej_canfd,
    "movej_follow": lambda c, r, s: c._movej_canfd({**r, "follow": False}, s),
    "set_arm_stop": RealmanController._stop,
    "set_arm_slow_stop": RealmanController._slow_stop,
    "clear_system_err": RealmanController._clear_system_err,
    "set_joint_clear_err": RealmanController._joint_clear_err,
    "set_arm_power": RealmanController._set_power,
    **{
        name: RealmanController._static
        for name in (
            "get_joint_degree",
            "get_current_work_frame",
            "get_current_tool_frame",
            "get_install_pose",
            "get_joint_min_pos",
            "get_joint_max_pos",
            "get_joint_max_speed",
            "get_joint_max_acc",
            "get_arm_power_state",
            "get_controller_state",
            "get_DH_data",
        )
    },
}
