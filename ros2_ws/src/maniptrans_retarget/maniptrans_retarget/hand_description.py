"""The hand's fingertip kinematics from ``maniptrans_description.inspire`` (one source of truth).

Joint tables, joint order, actuator names and limits, fingertip frames and the mimic couplings all
come from the description package; nothing here repeats a number of the hand.
"""

from __future__ import annotations

from functools import lru_cache

from maniptrans_description import inspire
from maniptrans_description.errors import DescriptionError
from maniptrans_retarget.hand_errors import HandRetargetError
from maniptrans_retarget.hand_kinematics import HandKinematics, affine_coupling, chains_from_joints

SIDES = ("left", "right")


def check_side(side: str) -> str:
    """``side`` if it is "left" or "right" (raises HandRetargetError otherwise)."""
    if side not in SIDES:
        raise HandRetargetError(f"side: expected one of {SIDES}, found {side!r}")
    return side


@lru_cache(maxsize=8)
def load_hand(side: str, coupling: inspire.MimicCoupling | None = None) -> HandKinematics:
    """Fingertip kinematics of the ``side`` Inspire hand (cached; the object is read-only).

    ``coupling``: the real hand's mimic multipliers (default: the description's default).
    """
    side = check_side(side)
    coupling = coupling or inspire.DEFAULT_COUPLING
    try:
        joints = inspire.joint_table(side)  # the sim hand: 12 independent revolute joints
        names = inspire.sim_joint_names(side)
        root = next(j.parent for j in joints if j.parent not in {k.child for k in joints})
        chains = chains_from_joints(joints, root, inspire.fingertip_frames(side), names)
        lower, upper = inspire.actuator_limits(side)
        q_lower, q_upper = inspire.sim_joint_limits(side)
        A, b = affine_coupling(
            lambda x: inspire.actuators_to_sim_joints(side, x, coupling),
            inspire.N_ACTUATORS,
            inspire.N_SIM_JOINTS,
        )
    except DescriptionError as exc:
        raise HandRetargetError(f"{side} hand description: {exc}") from exc
    return HandKinematics(
        chains,
        names,
        inspire.actuator_names(side),
        (A, b),
        lower,
        upper,
        joint_lower=q_lower,
        joint_upper=q_upper,
    )
