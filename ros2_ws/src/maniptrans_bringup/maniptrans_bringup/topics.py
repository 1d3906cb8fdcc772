"""The topic contract (ARCHITECTURE.md): names and message types, for the recorder and report.

Pure module.
"""

from __future__ import annotations

import re

JOINT_STATE = "sensor_msgs/msg/JointState"
POSE_STAMPED = "geometry_msgs/msg/PoseStamped"
DIAGNOSTIC_ARRAY = "diagnostic_msgs/msg/DiagnosticArray"
SIDES = ("left", "right")

# regex over the full topic name -> message type
_CONTRACT: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^/sim/(left|right)/hand/joint_states$"), JOINT_STATE),
    (re.compile(r"^/sim/(left|right)/wrist_pose$"), POSE_STAMPED),
    (re.compile(r"^/sim/objects/[A-Za-z0-9_]+/pose$"), POSE_STAMPED),
    (re.compile(r"^/(left|right)/(hand|arm)/(command|joint_states)$"), JOINT_STATE),
    (re.compile(r"^/mock/(left|right)/(hand|arm)/joint_states$"), JOINT_STATE),
    (re.compile(r"^/mock/objects/[A-Za-z0-9_]+/pose$"), POSE_STAMPED),
    (re.compile(r"^/diagnostics$"), DIAGNOSTIC_ARRAY),
)


def contract_type(topic: str) -> str | None:
    """Message type the contract gives ``topic``, or None if it is not a contract topic."""
    for pattern, msgtype in _CONTRACT:
        if pattern.match(topic):
            return msgtype
    return None


def sim_hand(side: str) -> str:
    return f"/sim/{side}/hand/joint_states"


def sim_wrist(side: str) -> str:
    return f"/sim/{side}/wrist_pose"


def command(side: str, device: str) -> str:
    """``device`` is ``arm`` or ``hand``."""
    return f"/{side}/{device}/command"


def measured(side: str, device: str) -> str:
    return f"/{side}/{device}/joint_states"


def mock_measured(side: str, device: str) -> str:
    return f"/mock/{side}/{device}/joint_states"


def replay_topics() -> list[str]:
    """Every fixed-name topic of a replay (objects come and go with the task)."""
    out = []
    for side in SIDES:
        out += [sim_hand(side), sim_wrist(side)]
        for dev in ("arm", "hand"):
            out += [command(side, dev), measured(side, dev)]
    return [*out, "/diagnostics"]


__all__ = [
    "DIAGNOSTIC_ARRAY",
    "JOINT_STATE",
    "POSE_STAMPED",
    "command",
    "contract_type",
    "measured",
    "mock_measured",
    "replay_topics",
    "sim_hand",
    "sim_wrist",
]
