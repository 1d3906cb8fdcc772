"""``maniptrans-train``: help, retarget table, export of a placed task, errors."""

from __future__ import annotations

import numpy as np
import pytest

from maniptrans_description.rig import RigCalibration
from maniptrans_sim.task_file import load_task
from maniptrans_training.cli import build_parser, main
from maniptrans_training.placement import reach_point_sim


@pytest.mark.parametrize(
    "cmd", ["retarget", "rollout", "evaluate", "export", "demo", "penetration"]
)
def test_every_subcommand_has_help(cmd, capsys):
    with pytest.raises(SystemExit) as out:
        build_parser().parse_args([cmd, "--help"])
    assert out.value.code == 0
    assert "usage: maniptrans-train" in capsys.readouterr().out


def test_retarget_prints_per_fingertip_errors_and_writes_npz(tmp_path, capsys):
    out = tmp_path / "r.npz"
    assert main(["retarget", "--task", "lift_box", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "thumb" in text and "pinky" in text and "right" in text and "left" in text
    with np.load(out) as d:
        assert d["right_q"].shape == (150, 12)
        assert d["left_tip_error"].mean() < 0.01


def test_export_on_rig_writes_a_sequence_within_reach(tmp_path, capsys):
    assert main(["export", "--task", "lift_box", "--on-rig", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "Retarget-only lift_box" in text and "SR %" in text
    task = load_task(tmp_path / "lift_box_bih")
    target = reach_point_sim(RigCalibration.load(None))
    for side in ("right", "left"):
        d = np.linalg.norm(task.hands[side].wrist_position - target, axis=1)
        assert d.max() < 0.25


def test_a_bad_demo_file_is_an_error_message_not_a_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    np.savez(bad, fps=np.array(60.0))
    assert main(["retarget", "--demo", str(bad)]) == 2
    assert "missing key 'sides'" in capsys.readouterr().err


def test_a_negative_clearance_weight_is_an_error_message(capsys):
    assert main(["penetration", "--task", "lift_box", "--clearance-weight", "-1"]) == 2
    assert "clearance weight must be >= 0" in capsys.readouterr().err
