"""RealMan controller JSON protocol: CRLF framing, request builders, reply parsers, units.

Wire units live only here: joint angles are integers of 0.001°, pose positions µm, Euler angles
0.001 rad, temperatures 0.001 °C. Everything this module returns is SI (radians, metres, °C for
temperature). One JSON object per ``\\r\\n``-terminated line in both directions; the stream may
split a line over several TCP segments or merge several lines into one, which ``LineFramer``
absorbs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from realman_inspire_driver.errors import ConfigError, FrameError

TERMINATOR = b"\r\n"
MAX_LINE = 256 * 1024  # bytes without a terminator before the stream is declared garbage
MDEG_PER_RAD = 180_000.0 / math.pi  # 0.001° per radian
MAX_JOINT_MDEG = 720_000  # |angle| any joint could ever report, with slack (±360° joint 7)


# ---------------------------------------------------------------------------------------------
# framing


def encode(command: str, **params: Any) -> bytes:
    """One request line: compact JSON ``{"command": ..., **params}`` + CRLF."""
    try:
        text = json.dumps({"command": command, **params}, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"cannot encode request {command!r}: {exc}") from exc
    return text.encode("ascii") + TERMINATOR


def _reject_constant(name: str) -> float:
    raise ValueError(f"non-finite number {name} in JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def decode_line(line: bytes) -> list[dict[str, Any]]:
    """Parse one line (without its CRLF) into the JSON objects it holds (normally one).

    Raises:
        FrameError: not UTF-8, not JSON, not an object, or nested too deeply.
    """
    try:
        text = line.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise FrameError(f"reply line is not UTF-8: {exc}", frame=line) from exc
    if not text:
        return []
    objects = []
    pos = 0
    try:
        while pos < len(text):
            obj, pos = _DECODER.raw_decode(text, pos)
            if not isinstance(obj, dict):
                raise FrameError(
                    f"reply must be a JSON object, got {type(obj).__name__}", frame=line
                )
            objects.append(obj)
            while pos < len(text) and text[pos] in " \t\r\n":
                pos += 1
    except (ValueError, RecursionError) as exc:
        raise FrameError(f"reply line is not valid JSON: {exc}", frame=line[:200]) from exc
    return objects


class LineFramer:
    """Reassembles CRLF-terminated JSON messages from arbitrary TCP chunks."""

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self._buffer = bytearray()
        self._ready: list[dict[str, Any]] = []
        self._max_line = max_line

    def feed(self, data: bytes) -> None:
        """Append received bytes (any split, any merge)."""
        self._buffer += data

    def clear(self) -> None:
        """Forget every buffered byte and message (after a reconnect or before a request)."""
        self._buffer.clear()
        self._ready.clear()

    def pending_bytes(self) -> int:
        """Bytes buffered that do not yet form a whole line."""
        return len(self._buffer)

    def next_message(self) -> dict[str, Any] | None:
        """The next whole message, or None when no complete line is buffered.

        Raises:
            FrameError: the next line is not a JSON object (the line is dropped, so the next
                call continues with the following line), or the buffer grew past ``max_line``
                without a terminator (the buffer is dropped).
        """
        while not self._ready:
            end = self._buffer.find(TERMINATOR)
            if end < 0:
                if len(self._buffer) > self._max_line:
                    size = len(self._buffer)
                    self._buffer.clear()
                    raise FrameError(f"{size} bytes received without a CRLF terminator")
                return None
            line = bytes(self._buffer[:end])
            del self._buffer[: end + len(TERMINATOR)]
            self._ready.extend(decode_line(line))
        return self._ready.pop(0)


def reply_key(message: dict[str, Any]) -> str:
    """The identifier a reply is matched by: ``state`` if it is a string, else ``command``."""
    state = message.get("state")
    if isinstance(state, str):
        return state
    command = message.get("command")
    if isinstance(command, str):
        return command
    raise FrameError(f"message has neither a string 'state' nor 'command': {_short(message)}")


# ---------------------------------------------------------------------------------------------
# units


def joints_to_wire(q: Sequence[float] | np.ndarray, dof: int) -> list[int]:
    """Joint angles [rad] → wire integers [0.001°], rounded to nearest."""
    arr = np.asarray(q, dtype=float)
    if arr.shape != (dof,):
        raise ConfigError(f"expected {dof} joint angles, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ConfigError(f"joint angles must be finite, got {arr.tolist()}")
    mdeg = np.rint(arr * MDEG_PER_RAD)
    if np.any(np.abs(mdeg) > MAX_JOINT_MDEG):
        raise ConfigError(f"joint angles {arr.tolist()} rad exceed ±{MAX_JOINT_MDEG / 1000}°")
    return [int(v) for v in mdeg]


def joints_from_wire(values: Any, dof: int, key: str = "joint") -> np.ndarray:
    """Wire integers [0.001°] → joint angles [rad]; validates type, length and range."""
    arr = number_array(values, dof, key)
    if np.any(np.abs(arr) > MAX_JOINT_MDEG):
        raise FrameError(f"'{key}' holds an angle beyond ±{MAX_JOINT_MDEG / 1000}°: {values}")
    return arr / MDEG_PER_RAD


def number_array(values: Any, n: int, key: str) -> np.ndarray:
    """A JSON array of exactly ``n`` finite numbers (ints; floats tolerated) as float64."""
    if not isinstance(values, list):
        raise FrameError(f"'{key}' must be an array of {n} numbers, got {_short(values)}")
    if len(values) != n:
        raise FrameError(f"'{key}' must hold {n} numbers, got {len(values)}")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise FrameError(f"'{key}' must hold numbers only, got {_short(values)}")
    arr = np.array(values, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise FrameError(f"'{key}' holds a non-finite number: {_short(values)}")
    return arr


def _short(obj: Any, limit: int = 160) -> str:
    text = repr(obj)
    return text if len(text) <= limit else text[:limit] + "..."


def _field(message: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in message:
        raise FrameError(f"reply {reply_key_or_none(message)!r} lacks '{key}'")
    value = message[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise FrameError(
            f"reply {reply_key_or_none(message)!r}: '{key}' must be {kind}, got {_short(value)}"
        )
    return value


def reply_key_or_none(message: dict[str, Any]) -> str | None:
    """``reply_key`` without raising (for error messages)."""
    try:
        return reply_key(message)
    except FrameError:
        return None


# ---------------------------------------------------------------------------------------------
# requests


def movej(q: Sequence[float] | np.ndarray, dof: int, speed_percent: int) -> bytes:
    """Planned joint move to ``q`` [rad] at ``speed_percent`` (1..100) of the speed limits."""
    if isinstance(speed_percent, bool) or not 1 <= int(speed_percent) <= 100:
        raise ConfigError(f"movej speed must be a percentage in 1..100, got {speed_percent!r}")
    return encode(
        "movej", v=int(speed_percent), joint=joints_to_wire(q, dof), trajectory_connect=0, r=0
    )


def movej_canfd(q: Sequence[float] | np.ndarray, dof: int, follow: bool = False) -> bytes:
    """Passthrough set-point ``q`` [rad]: no reply is sent by the controller (gen 3+)."""
    return encode(
        "movej_canfd",
        joint=joints_to_wire(q, dof),
        follow=bool(follow),
        expand=0,
        trajectory_mode=0,
        radio=0,
    )


# ---------------------------------------------------------------------------------------------
# replies


@dataclass(frozen=True)
class SoftwareInfo:
    """What ``get_arm_software_info`` tells: the product string, the model and its DOF."""

    product_version: str  # e.g. "RM75-B"
    model: str  # e.g. "RM75"
    dof: int


SEVEN_DOF_MODELS = ("RM75", "GEN72", "RXL75", "RXR75")


def parse_software_info(message: dict[str, Any]) -> SoftwareInfo:
    """Parse the ``arm_software_info`` reply."""
    product = _field(message, "Product_version", str)
    model = product.split("-", 1)[0].strip()
    if not model or "-" not in product:
        raise FrameError(f"Product_version {product!r} is not '<model>-<end effector>'")
    dof = 7 if model.startswith(SEVEN_DOF_MODELS) else 6
    return SoftwareInfo(product, model, dof)


@dataclass(frozen=True)
class ArmState:
    """Measured arm state from ``current_arm_state``.

    Attributes:
        q: joint angles [rad], shape (dof,).
        pose: flange pose in the base frame: x, y, z [m], roll, pitch, yaw [rad].
        errors: active nonzero system/arm error codes (empty when all is well).
    """

    q: np.ndarray
    pose: np.ndarray
    errors: tuple[int, ...]


def _error_list(container: dict[str, Any]) -> tuple[int, ...]:
    codes: list[int] = []
    if "err" in container:
        err = container["err"]
        if not isinstance(err, list) or not all(
            isinstance(c, int) and not isinstance(c, bool) for c in err
        ):
            raise FrameError(f"'err' must be an array of ints, got {_short(err)}")
        codes += err
    for key in ("arm_err", "sys_err"):
        if key in container:
            value = container[key]
            if isinstance(value, bool) or not isinstance(value, int):
                raise FrameError(f"'{key}' must be an int, got {_short(value)}")
            codes.append(value)
    if not any(k in container for k in ("err", "arm_err", "sys_err")):
        raise FrameError("state reply lacks an error field ('err' or 'arm_err'/'sys_err')")
    return tuple(dict.fromkeys(c for c in codes if c != 0))


def parse_arm_state(message: dict[str, Any], dof: int) -> ArmState:
    """Parse the ``current_arm_state`` reply of a ``dof``-joint arm."""
    body = _field(message, "arm_state", dict)
    q = joints_from_wire(body.get("joint"), dof)
    raw_pose = number_array(body.get("pose"), 6, "pose")
    pose = np.concatenate([raw_pose[:3] * 1e-6, raw_pose[3:] * 1e-3])
    return ArmState(q=q, pose=pose, errors=_error_list(body))


PUSH_CYCLE = 0.005
"""The real-time push period unit [s]: ``cycle`` 1 = 5 ms."""


def set_realtime_push(period: float, port: int, ip: str, enable: bool = True) -> bytes:
    """``set_realtime_push``: the controller sends its state by UDP to ``ip:port`` every
    ``period`` [s] (rounded to a multiple of 5 ms, at least one)."""
    if not (1 <= port <= 65535):
        raise ConfigError(f"push port must be in 1..65535, got {port}")
    if not ip:
        raise ConfigError("push ip must not be empty")
    cycle = max(1, round(period / PUSH_CYCLE))
    return encode("set_realtime_push", enable=enable, cycle=cycle, port=port, ip=ip)


def parse_push(datagram: bytes, dof: int) -> ArmState:
    """One UDP real-time push datagram (one JSON object, no CRLF needed): joints from
    ``joint_status.joint_position`` [0.001°], flange pose from ``waypoint`` (position [µm],
    euler [0.001 rad]), active errors from ``err`` / ``arm_err`` / ``sys_err``."""
    objects = decode_line(datagram)
    if len(objects) != 1:
        raise FrameError(f"a push datagram holds one JSON object, got {len(objects)}")
    message = objects[0]
    status = _field(message, "joint_status", dict)
    q = joints_from_wire(status.get("joint_position"), dof, "joint_position")
    waypoint = _field(message, "waypoint", dict)
    position = number_array(waypoint.get("position"), 3, "waypoint.position") * 1e-6
    euler = number_array(waypoint.get("euler"), 3, "waypoint.euler") * 1e-3
    return ArmState(q=q, pose=np.concatenate([position, euler]), errors=_error_list(message))


@dataclass(frozen=True)
class JointHealth:
    """Per-joint health from ``arm_all_state``: temperature [°C], current [A], voltage [V],
    joint error flags, enable flags, and the active nonzero system error codes."""

    temperature: np.ndarray
    current: np.ndarray
    voltage: np.ndarray
    joint_errors: tuple[int, ...]
    enabled: tuple[bool, ...]
    errors: tuple[int, ...]


def parse_all_state(message: dict[str, Any], dof: int) -> JointHealth:
    """Parse the ``arm_all_state`` reply."""
    body = _field(message, "all_state", dict)
    flags = number_array(body.get("err_flag"), dof, "err_flag")
    enabled = number_array(body.get("en_flag"), dof, "en_flag")
    return JointHealth(
        temperature=number_array(body.get("temperature"), dof, "temperature") * 1e-3,
        current=number_array(body.get("current"), dof, "current") * 1e-6,
        voltage=number_array(body.get("voltage"), dof, "voltage") * 1e-3,
        joint_errors=tuple(int(f) for f in flags),
        enabled=tuple(bool(e) for e in enabled),
        errors=_error_list(body),
    )


def parse_bool(message: dict[str, Any], key: str) -> bool:
    """The boolean result field ``key`` of a setter's reply (must be JSON true/false)."""
    return bool(_field(message, key, bool))


@dataclass(frozen=True)
class TrajectoryState:
    """The asynchronous ``current_trajectory_state`` message: a planned move ended."""

    success: bool
    device: int
    more_segments: bool


def parse_trajectory_state(message: dict[str, Any]) -> TrajectoryState:
    """Parse ``current_trajectory_state`` (sent when a ``movej`` finishes)."""
    return TrajectoryState(
        success=parse_bool(message, "trajectory_state"),
        device=int(_field(message, "device", int)),
        more_segments=bool(_field(message, "trajectory_connect", int)),
    )
