"""The vendor's own SDK (PyPI robotic-arm 1.1.6, module Robotic_Arm) drives the emulator.

The SDK is a C library with its own threads, so it runs in a child process; the emulator runs here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from mockrig_helpers import ArmBench

pytest.importorskip("Robotic_Arm")

SDK_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    from Robotic_Arm.rm_robot_interface import RoboticArm, rm_thread_mode_e
    arm = RoboticArm(rm_thread_mode_e.RM_DUAL_MODE_E)
    handle = arm.rm_create_robot_arm("127.0.0.1", int(sys.argv[1]), level=3)
    out = {"id": handle.id, "dof": arm.arm_dof, "info": arm.rm_get_robot_info()}
    out["state0"] = arm.rm_get_current_arm_state()
    out["movej"] = arm.rm_movej([10, -20, 5, 30, 0, 15, 0], 50, 0, 0, 1)
    out["after_movej"] = arm.rm_get_joint_degree()
    for k in range(60):
        out["canfd"] = arm.rm_movej_canfd([10 + 0.1 * (k + 1), -20, 5, 30, 0, 15, 0], True)
        time.sleep(0.01)
    time.sleep(0.3)
    out["after_canfd"] = arm.rm_get_joint_degree()
    out["bad_movej"] = arm.rm_movej([0, 140, 0, 0, 0, 0, 0], 50, 0, 0, 0)
    out["state_err"] = arm.rm_get_current_arm_state()
    out["clear"] = arm.rm_clear_system_err()
    out["state_clear"] = arm.rm_get_current_arm_state()
    out["stop"] = arm.rm_set_arm_stop()
    arm.rm_delete_robot_arm()
    print("RESULT " + json.dumps(out, default=str))
    """
)


def test_vendor_sdk_connects_reads_state_and_moves_with_movej_and_canfd(
    arm_bench: ArmBench,
) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SDK_SCRIPT, str(arm_bench.port)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, f"SDK run failed:\n{proc.stdout}\n{proc.stderr}"
    out = json.loads(lines[0][len("RESULT ") :])
    assert out["id"] == 1 and out["dof"] == 7  # handshake accepted, RM75 decoded
    assert out["info"][1]["arm_model"] == "RM_75"
    assert out["state0"][0] == 0 and out["state0"][1]["err"]["err"] == ["0"]
    assert out["movej"] == 0  # blocking move ended by the arrival message
    code, joints = out["after_movej"]
    assert code == 0
    assert joints == pytest.approx([10, -20, 5, 30, 0, 15, 0], abs=0.2)
    assert out["canfd"] == 0
    assert out["after_canfd"][1][0] == pytest.approx(16.0, abs=0.2)  # the stream moved joint 1
    assert out["bad_movej"] == 1  # joint 2 beyond 130 deg: receive_state false
    assert out["state_err"][1]["err"]["err"] == [str(0x1002)]
    assert out["clear"] == 0 and out["state_clear"][1]["err"]["err"] == ["0"]
    assert out["stop"] == 0
