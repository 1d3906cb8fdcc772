"""One root exception for the whole maniptrans_retarget package."""

from __future__ import annotations

import pytest

from maniptrans_retarget.arm_errors import ArmIkError
from maniptrans_retarget.errors import RetargetError
from maniptrans_retarget.hand_errors import HandRetargetError


@pytest.mark.parametrize("cls", [ArmIkError, HandRetargetError])
def test_hand_and_arm_errors_are_caught_by_the_package_root(cls):
    with pytest.raises(RetargetError, match="expected 7"):
        raise cls("q: expected 7 joints, found 6")
    assert issubclass(cls, ValueError)  # callers that caught ValueError keep working
