"""The Inspire hand's firmware as the emulator models it: register semantics and finger control.

Register writes become actuator commands: ANGLE_SET (0..1000, 1000 = open; -1 = leave that
actuator), POS_SET (stroke 0..2000, taken as ``angle = 1000 - stroke / 2``), SPEED_SET and
FORCE_SET (0..1000; force in grams-force). Each control period the device reads the model and
fills ANGLE_ACT, POS_ACT, FORCE_ACT (grams-force, signed), CURRENT (mA), STATUS, ERROR and TEMP.

Finger behaviour: an actuator moves toward its target at ``SPEED_SET / 1000`` of full speed (full
range in ``full_range_time``). While closing, it stops when its force reaches FORCE_SET (STATUS 3)
and stays stopped until a new position command for it arrives; raising FORCE_SET alone does not
restart it. An actuator that is commanded to move but makes no progress for ``stall_time`` while
below its force limit latches the stall error bit. Any error bit stops its actuator; error bits
latch until 1 is written to CLEAR_ERROR. Command registers (CLEAR_ERROR, FORCE_SENSOR_CALIB) read
back what was last written, so a write-single reply echoes the request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from maniptrans_sim.mock.inspire.registers import (
    ADDRESS_MAX,
    ADDRESS_MIN,
    BY_NAME,
    STATUS_FAULT,
    STATUS_FORCE_REACHED,
    STATUS_GRASPING,
    STATUS_POSITION_REACHED,
    STATUS_RELEASING,
    STATUS_STALL,
    Block,
    block_at_byte,
    block_at_register,
    to_i16,
    to_u16,
)
from maniptrans_sim.mock.rig_model import RigModel
from maniptrans_sim.mock.robot_tables import (
    HAND_DOF,
    HandCommandMap,
    Side,
    check_side,
    hand_actuator_limits,
)

GRAM_FORCE = 0.00980665  # [N]
ERROR_STALL = 1 << 0
ERROR_OVER_TEMPERATURE = 1 << 1


class RegisterError(ValueError):
    """An access the hand refuses (the protocol layer answers it with its error reply)."""


@dataclass(frozen=True)
class HandConfig:
    """One emulated hand. Times [s] (simulated), temperatures [°C]."""

    side: Side
    hand_id: int = 1  # Modbus slave id / native id
    full_range_time: float = 0.8  # full stroke at SPEED_SET 1000 (an assumption: not published)
    default_speed: int = 1000  # SPEED_SET at power-on
    default_force: int = 1000  # FORCE_SET at power-on [gf]
    position_tolerance: int = 10  # |ANGLE_ACT - ANGLE_SET| counted as reached [command units]
    control_period: float = 0.01  # firmware loop period [s] (simulated)
    stall_time: float = 0.5
    ambient_temperature: int = 36
    over_temperature: int = 78  # TEMP reading while the over-temperature bit is raised
    calibration_path: str | None = None  # hand calibration YAML (None: the description's)


class InspireHandDevice:
    """Register image + firmware of one hand (see the module docstring). Thread-safe."""

    def __init__(self, config: HandConfig) -> None:
        check_side(config.side)
        self.config = config
        self.side = config.side
        self._map = HandCommandMap(config.side, config.calibration_path)
        lo, hi = hand_actuator_limits(config.side)
        self._span = hi - lo  # [rad]
        self._lock = threading.RLock()
        self._v: dict[str, list[int]] = {b.name: [0] * b.count for b in BY_NAME.values()}
        self._v["HAND_ID"][0] = config.hand_id
        self._v["CURRENT_LIMIT"] = [1000] * HAND_DOF
        self._v["DEFAULT_SPEED"] = [config.default_speed] * HAND_DOF
        self._v["DEFAULT_FORCE"] = [config.default_force] * HAND_DOF
        self._v["SPEED_SET"] = [config.default_speed] * HAND_DOF
        self._v["FORCE_SET"] = [config.default_force] * HAND_DOF
        self._v["ANGLE_SET"] = [1000] * HAND_DOF  # power-on: open
        self._v["ANGLE_ACT"] = [1000] * HAND_DOF
        self._v["TEMP"] = [config.ambient_temperature] * HAND_DOF
        self._v["STATUS"] = [STATUS_POSITION_REACHED] * HAND_DOF
        self._target_cmd = np.full(HAND_DOF, 1000.0)
        self._force_hold: list[float | None] = [None] * HAND_DOF  # q where force was reached
        self._error_hold: list[float | None] = [None] * HAND_DOF
        self._progress_t = [0.0] * HAND_DOF  # time of each actuator's last progress [s]
        self._progress_act = [1000.0] * HAND_DOF  # ANGLE_ACT at that time
        # [rad/s per SPEED_SET unit]
        self._speed_per_count = (self._span / config.full_range_time / 1000.0).tolist()
        self.stats = {"writes": 0, "reads": 0}

    @property
    def control_period(self) -> float:
        """Period of the firmware loop [s] (the runner calls `control_step` this often)."""
        return self.config.control_period

    # ------------------------------------------------------------------ element access
    def value(self, name: str) -> list[int]:
        """A copy of a block's elements (signed values)."""
        with self._lock:
            return list(self._v[name])

    def raise_error(self, bit: int, actuator: int | None = None) -> None:
        """Latch ERROR bit ``bit`` (0..4) on one actuator (0-based) or on all of them."""
        with self._lock:
            idx = range(HAND_DOF) if actuator is None else [actuator]
            for i in idx:
                self._v["ERROR"][i] |= 1 << bit
                if (1 << bit) & ERROR_OVER_TEMPERATURE:
                    # the reading that raised the bit is visible at once, not at the next tick
                    self._v["TEMP"][i] = self.config.over_temperature

    def _set(self, block: Block, index: int, value: int) -> None:
        name = block.name
        if not block.writable:
            raise RegisterError(f"{name} is read-only")
        if name in ("ANGLE_SET", "POS_SET", "SPEED_SET", "FORCE_SET"):
            value = to_i16(value & 0xFFFF)
            if value == -1:  # leave this actuator unchanged
                return
            top = 2000 if name == "POS_SET" else 1000
            value = min(max(value, 0), top)
            self._v[name][index] = value
            if name in ("ANGLE_SET", "POS_SET"):
                cmd = value if name == "ANGLE_SET" else 1000 - value / 2
                self._v["ANGLE_SET"][index] = round(cmd)
                self._v["POS_SET"][index] = round(2 * (1000 - cmd))
                self._target_cmd[index] = cmd
                self._force_hold[index] = None  # a new position command restarts the finger
                act = self._v["ANGLE_ACT"][index]
                if abs(act - cmd) > self.config.position_tolerance and not self._v["ERROR"][index]:
                    moving = STATUS_GRASPING if cmd < act else STATUS_RELEASING
                    self._v["STATUS"][index] = moving
            return
        self._v[name][index] = value & (0xFF if block.width == 1 else 0xFFFF)
        if name == "CLEAR_ERROR" and value == 1:
            self._v["ERROR"] = [0] * HAND_DOF
            self._error_hold = [None] * HAND_DOF
        elif name == "FORCE_SENSOR_CALIB" and value == 1:  # the hand opens to calibrate
            self._target_cmd[:] = 1000.0
            self._v["ANGLE_SET"] = [1000] * HAND_DOF
            self._force_hold = [None] * HAND_DOF

    # ------------------------------------------------------------------ Modbus view
    def read_registers(self, address: int, count: int) -> list[int]:
        """``count`` registers from ``address`` (gaps between blocks read 0)."""
        if address < ADDRESS_MIN or address + count - 1 > ADDRESS_MAX or count < 1:
            raise RegisterError(f"registers {address}..{address + count - 1} out of map")
        out = []
        with self._lock:
            self.stats["reads"] += 1
            for a in range(address, address + count):
                hit = block_at_register(a)
                if hit is None:
                    out.append(0)
                    continue
                b, off = hit
                vals = self._v[b.name]
                if b.width == 2:
                    out.append(to_u16(vals[off]))
                else:
                    lo = vals[2 * off] & 0xFF
                    hi = (vals[2 * off + 1] & 0xFF) if 2 * off + 1 < b.count else 0
                    out.append(lo | hi << 8)
        return out

    def write_registers(self, address: int, values: list[int]) -> None:
        """Write registers from ``address``; RegisterError for read-only or unmapped ones."""
        with self._lock:
            hits = [block_at_register(a) for a in range(address, address + len(values))]
            bad = [address + i for i, h in enumerate(hits) if h is None or not h[0].writable]
            if bad:
                raise RegisterError(f"registers {bad} are not writable")
            self.stats["writes"] += 1
            for (b, off), reg in zip(hits, values, strict=True):  # type: ignore[misc]
                if b.width == 2:
                    self._set(b, off, reg)
                else:
                    self._set(b, 2 * off, reg & 0xFF)
                    if 2 * off + 1 < b.count:
                        self._set(b, 2 * off + 1, reg >> 8)

    # ------------------------------------------------------------------ native view
    def read_bytes(self, address: int, n: int) -> bytes:
        """``n`` bytes from byte ``address`` (16-bit elements little-endian; gaps read 0)."""
        out = bytearray()
        with self._lock:
            self.stats["reads"] += 1
            for a in range(address, address + n):
                hit = block_at_byte(a)
                if hit is None:
                    if not ADDRESS_MIN <= a <= ADDRESS_MAX + 5:
                        raise RegisterError(f"byte address {a} out of map")
                    out.append(0)
                    continue
                b, off = hit
                v = self._v[b.name][off // b.width] & (0xFFFF if b.width == 2 else 0xFF)
                out.append((v >> (8 * (off % b.width))) & 0xFF)
        return bytes(out)

    def write_bytes(self, address: int, data: bytes) -> None:
        """Write bytes from byte ``address``; whole elements only."""
        with self._lock:
            elements: list[tuple[Block, int, int]] = []
            a = address
            while a < address + len(data):
                hit = block_at_byte(a)
                if hit is None or not hit[0].writable:
                    raise RegisterError(f"byte address {a} is not writable")
                b, off = hit
                if off % b.width or a + b.width > address + len(data):
                    raise RegisterError(f"write at {a} splits a {8 * b.width}-bit element")
                chunk = data[a - address : a - address + b.width]
                elements.append((b, off // b.width, int.from_bytes(chunk, "little")))
                a += b.width
            self.stats["writes"] += 1
            for b, idx, v in elements:
                self._set(b, idx, v)

    # ------------------------------------------------------------------ firmware loop
    def control_step(self, model: RigModel) -> None:
        """Read the model, run the finger logic, fill the state registers, command the model.

        Plain Python over the six actuators: on arrays this small it is several times faster
        than numpy, and this loop runs 100 times per simulated second per hand.
        """
        q_np, force_np = model.hand_state(self.side)
        q_ref = model.hand_reference(self.side).tolist()
        act_np = self._map.to_command(q_np)
        q, act, force_n = q_np.tolist(), act_np.tolist(), force_np.tolist()
        cfg = self.config
        with self._lock:
            t = model.time
            v = self._v
            err, force_set, target = v["ERROR"], v["FORCE_SET"], self._target_cmd.tolist()
            q_target = self._map.to_radians(self._target_cmd).tolist()
            status, force_act, current = [0] * HAND_DOF, [0] * HAND_DOF, [0] * HAND_DOF
            for i in range(HAND_DOF):
                a, fg = act[i], force_n[i] / GRAM_FORCE
                closing = target[i] < a
                if err[i] == 0 and closing and fg >= force_set[i] and self._force_hold[i] is None:
                    self._force_hold[i] = q_ref[i]  # keep pressing as hard
                if self._force_hold[i] is not None:
                    q_target[i] = self._force_hold[i]
                    st = STATUS_FORCE_REACHED
                elif abs(a - target[i]) <= cfg.position_tolerance:
                    st = STATUS_POSITION_REACHED
                else:
                    st = STATUS_GRASPING if closing else STATUS_RELEASING
                moving = st in (STATUS_GRASPING, STATUS_RELEASING)
                if not moving or err[i] or abs(a - self._progress_act[i]) > 2.0:
                    self._progress_act[i], self._progress_t[i] = a, t
                elif t - self._progress_t[i] > cfg.stall_time:  # commanded, no progress
                    err[i] |= ERROR_STALL
                if err[i]:
                    if self._error_hold[i] is None:
                        self._error_hold[i] = q[i]
                    q_target[i] = self._error_hold[i]
                    st = STATUS_STALL if err[i] == ERROR_STALL else STATUS_FAULT
                    moving = False
                status[i] = st
                force_act[i] = max(-32768, min(32767, round(fg)))
                current[i] = round(60 + 0.3 * abs(force_act[i]) + (150 if moving else 0))
            angle_act = [round(a) for a in act]
            v["ANGLE_ACT"] = angle_act
            v["POS_ACT"] = [2 * (1000 - a) for a in angle_act]
            v["FORCE_ACT"] = force_act
            v["CURRENT"] = current
            v["STATUS"] = status
            v["TEMP"] = [
                cfg.over_temperature if e & ERROR_OVER_TEMPERATURE else cfg.ambient_temperature
                for e in err
            ]
            speed = [sp * self._speed_per_count[i] for i, sp in enumerate(v["SPEED_SET"])]
            force_limit = [f * GRAM_FORCE for f in force_set]
        model.set_hand_target(
            self.side, np.array(q_target), np.array(speed), np.array(force_limit)
        )
