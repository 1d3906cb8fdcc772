"""maniptrans-retarget-hand on a transferred task written with the project's task-file module."""

from __future__ import annotations

import numpy as np

from maniptrans_retarget.hand_cli import main
from maniptrans_retarget.hand_description import load_hand
from maniptrans_retarget.hand_fixtures import sweep_trajectory
from maniptrans_sim.task_file import HandTrack, SeqInfo, TransferredTask, save_task


def _task(tmp_path, n: int = 120):
    hands = {}
    for k, side in enumerate(("right", "left")):
        kin = load_hand(side)
        state = np.zeros((n, 13))
        state[:, 6] = 1.0  # identity quaternion (x, y, z, w)
        hands[side] = HandTrack(
            q=sweep_trajectory(kin.joint_lower, kin.joint_upper, n, seed=k),
            dq=np.zeros((n, 12)),
            state=state,
            state_manip_obj=state.copy(),
            tip_force=np.zeros((n, 15)),
        )
    info = SeqInfo(seq_len=n, type="bih")
    task = TransferredTask("sweep_bih", info, hands, np.zeros(n), np.zeros((n, 36)))
    return save_task(task, tmp_path / "sweep_bih")


def test_cli_converts_both_hands_and_prints_per_fingertip_errors(tmp_path, capsys):
    seq = _task(tmp_path)
    out = tmp_path / "hands.npz"
    assert main([str(seq), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    for tip in ("R_thumb_tip", "R_pinky_tip", "L_index_tip", "L_ring_tip"):
        assert tip in text
    assert "converged" in text
    data = np.load(out)
    for side in ("right", "left"):
        x = data[f"{side}_actuators"]
        cmd = data[f"{side}_command"]
        assert x.shape == (120, 6) and cmd.shape == (120, 6)
        assert cmd.min() >= 0 and cmd.max() <= 1000
        assert data[f"{side}_tip_error"].shape == (120, 5)
    # default calibration: 1000 = open (lower limit), 0 = closed (upper limit)
    kin = load_hand("right")
    opened = data["right_actuators"] <= kin.lower + 1e-9
    assert np.all(data["right_command"][opened] == 1000)


def test_cli_reports_a_missing_task_and_fails(tmp_path, capsys):
    assert main([str(tmp_path / "nope")]) == 2
    assert "maniptrans-retarget-hand" in capsys.readouterr().err
