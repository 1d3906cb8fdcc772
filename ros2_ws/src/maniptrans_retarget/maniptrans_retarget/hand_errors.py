"""The exception of the hand-retargeting modules (``hand_*.py``) of maniptrans_retarget."""

from __future__ import annotations

from maniptrans_retarget.errors import RetargetError


class HandRetargetError(RetargetError):
    """Bad input to hand retargeting: the message names what was expected and what was found."""
