"""Shared fixtures of the arm IK tests: the RM75-B from the description package and a solver."""

from __future__ import annotations

import numpy as np
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


def joint_path(qa, qb, n: int) -> np.ndarray:
    """(n, 7) straight line in joint space from qa to qb [rad]."""
    s = np.linspace(0.0, 1.0, n)[:, None]
    return np.asarray(qa) + s * (np.asarray(qb) - np.asarray(qa))
