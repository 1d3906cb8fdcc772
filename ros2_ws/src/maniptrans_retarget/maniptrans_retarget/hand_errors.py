"""The exception of the hand-retargeting modules (``hand_*.py``) of maniptrans_retarget."""

from __future__ import annotations


class HandRetargetError(ValueError):
    """Bad input to hand retargeting: the message names what was expected and what was found."""
