"""Shared fixtures of the arm IK tests: the RM75-B from the description package and a solver."""

from __future__ import annotations

import pytest

from maniptrans_retarget.arm_ik import ArmIk, IkConfig
from maniptrans_retarget.arm_kinematics import ArmKinematics


@pytest.fixture(scope="session")
def kin() -> ArmKinematics:
    return ArmKinematics.from_description("rm75_b")


@pytest.fixture(scope="session")
def ik(kin: ArmKinematics) -> ArmIk:
    """Default settings (compiles or loads the kernel once per session)."""
    return ArmIk(kin, IkConfig())
