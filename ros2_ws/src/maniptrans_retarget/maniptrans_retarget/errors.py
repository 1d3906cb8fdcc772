"""The root exception of maniptrans_retarget: catch this to catch every retargeting or IK error."""

from __future__ import annotations


class RetargetError(ValueError):
    """Bad model, configuration or input to hand retargeting or arm IK.

    Subclasses: `maniptrans_retarget.hand_errors.HandRetargetError` and
    `maniptrans_retarget.arm_errors.ArmIkError`. Messages name what was expected and what was
    found.
    """
