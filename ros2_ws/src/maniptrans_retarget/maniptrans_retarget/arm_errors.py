"""The exception of the arm-IK modules (``arm_*.py``, ``reach_*.py``) of maniptrans_retarget."""

from __future__ import annotations

from maniptrans_retarget.errors import RetargetError


class ArmIkError(RetargetError):
    """Bad model, configuration, target or input for the arm IK: the message names what was
    expected and what was found."""
