"""RealMan controller error codes decoded to words (system/arm errors and joint error flags)."""

from __future__ import annotations

SYSTEM_ERRORS: dict[int, str] = {
    0x0000: "no error",
    0x1001: "joint communication fault",
    0x1002: "target angle beyond joint limit",
    0x1003: "unreachable or singular point",
    0x1004: "real-time kernel communication error",
    0x1005: "joint bus error",
    0x1006: "planning-layer kernel error",
    0x1007: "joint overspeed",
    0x1008: "end interface board unreachable",
    0x1009: "speed limit exceeded",
    0x100A: "acceleration limit exceeded",
    0x100B: "joint brake not released",
    0x100C: "overspeed during drag teaching",
    0x100D: "collision detected",
    0x100E: "work frame does not exist",
    0x100F: "tool frame does not exist",
    0x1010: "joint dropped enable",
    0x1011: "arc planning error",
    0x1012: "self-collision",
    0x1013: "electronic-fence collision",
    0x1014: "joint soft limit exceeded",
    0x2001: "gripper fault",
    0x2002: "dexterous hand fault",
    0x2003: "6-axis force sensor fault",
    0x2004: "1-axis force sensor fault",
    0x2005: "output current fault",
    0x5003: "controller over-temperature",
    0x5005: "controller over-current",
    0x5006: "controller under-current",
    0x5007: "controller over-voltage",
    0x5008: "controller under-voltage",
    0x5009: "real-time kernel communication error",
}

JOINT_ERROR_BITS: dict[int, str] = {
    0x0001: "FOC error",
    0x0002: "over-voltage",
    0x0004: "under-voltage",
    0x0008: "over-temperature",
    0x0010: "start-up failure",
    0x0020: "encoder error",
    0x0040: "over-current",
    0x0080: "software error",
    0x0100: "temperature-sensor error",
    0x0200: "position over limit",
    0x0400: "invalid joint ID",
    0x0800: "position tracking error",
    0x1000: "current-sensing error",
    0x2000: "brake failed to open",
    0x4000: "position command step warning",
    0x8000: "multi-turn count lost",
}
JOINT_FRAME_LOSS = 0xF000  # a code of its own, not the OR of four bits


def describe_system_error(code: int) -> str:
    """Words for one system/arm error code, e.g. 0x100D → ``"0x100D collision detected"``."""
    return f"0x{code:04X} {SYSTEM_ERRORS.get(code, 'unknown error')}"


def describe_joint_error(code: int) -> tuple[str, ...]:
    """Words for one joint's error flags (empty when the joint is fine)."""
    if code == JOINT_FRAME_LOSS:
        return ("communication frame loss",)
    words = [name for bit, name in JOINT_ERROR_BITS.items() if code & bit]
    unknown = code & ~sum(JOINT_ERROR_BITS)
    if unknown:
        words.append(f"unknown flags 0x{unknown:04X}")
    return tuple(words)
