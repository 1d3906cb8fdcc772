"""One command gives the four-method table; ablations give a table and learning curves."""

from __future__ import annotations

import json
import math

import pytest

from maniptrans_training.rl.cli import main
from maniptrans_training.rl.experiments import METHODS

pytestmark = pytest.mark.slow

TINY = [
    "--iterations",
    "1",
    "--num-envs",
    "4",
    "--set",
    "train.ppo.num_steps_per_env=4",
    "--set",
    "train.policy.actor_hidden=[16]",
    "--set",
    "train.policy.critic_hidden=[16]",
]


def test_compare_trains_stage1_then_prints_the_four_method_table(tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(
        ["compare", "--demos", "lift_box", "--out", str(out), "--stage1-iterations", "1", *TINY]
    )
    assert code == 0
    printed = capsys.readouterr().out
    for m in METHODS:
        assert m in printed
    assert (out / "stage1" / "imitator_right.pt").is_file()
    assert (out / "stage1" / "imitator_left.pt").is_file()
    rows = json.loads((out / "methods.json").read_text())
    assert list(rows) == list(METHODS)
    assert all(math.isfinite(float(rows[m]["E_ft"])) for m in METHODS)
    assert float(rows["Retarget-only"]["n"]) == 1
    assert "SR single / bi" in (out / "methods.md").read_text()


def test_ablations_write_a_table_and_side_by_side_learning_curves(tmp_path, capsys):
    out = tmp_path / "abl"
    stage1 = tmp_path / "cmp1"
    stage1_args = ["stage1", "--demos", "lift_box", "--out", str(stage1), "--iterations", "1"]
    assert main([*stage1_args, "--num-envs", "4"]) == 0
    args = ["ablate", "--demo", "lift_box", "--variants", "full,no_gravity_relax"]
    assert main([*args, "--imitators", str(stage1), "--out", str(out), *TINY]) == 0
    png = (out / "ablations.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    table = (out / "ablations.md").read_text()
    assert "full" in table and "no_gravity_relax" in table
    assert "ablations.png" in capsys.readouterr().out


def test_an_unknown_demo_is_a_clear_error(tmp_path, capsys):
    assert main(["stage2", "--demo", "lift_bux", "--out", str(tmp_path), "--base", "zero"]) == 2
    assert "lift_bux" in capsys.readouterr().err
