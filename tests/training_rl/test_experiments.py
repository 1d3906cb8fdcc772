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
    # --resume evaluates what is there: nothing is trained again, the table is the same
    trained = {p: p.stat().st_mtime_ns for p in out.rglob("*.pt")}
    code = main(["compare", "--demos", "lift_box", "--out", str(out), "--resume", *TINY])
    assert code == 0
    assert "exists: evaluating it (resume)" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.pt")} == trained
    assert json.loads((out / "methods.json").read_text()) == rows


def test_compare_retargets_with_the_clearance_its_config_asks_for(tmp_path, capsys):
    # Retarget-only trains nothing: its table row is the kinematic reference tracked as is
    base = ["compare", "--demos", "lift_box", "--methods", "Retarget-only", *TINY]
    e_ft = {}
    for w in (0.0, 30.0):
        out = tmp_path / f"w{w:g}"
        args = [*base, "--out", str(out), "--imitators", str(out), "--set"]
        assert main([*args, f"retarget_clearance={w}"]) == 0
        printed = capsys.readouterr().out
        assert ("keeping the hands out of the objects" in printed) == (w > 0)
        e_ft[w] = float(json.loads((out / "methods.json").read_text())["Retarget-only"]["E_ft"])
    assert e_ft[0.0] != e_ft[30.0]  # a different reference reached the rollout


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


def test_compare_in_two_worker_processes_gives_the_same_table(tmp_path):
    # every (demo, method) job is seeded and independent: running them in parallel processes
    # must not change a single number
    from maniptrans_training.rl.config import replace_path
    from maniptrans_training.rl.experiments import compare_methods
    from maniptrans_training.rl.stages import (
        Stage2Config,
        stage1_preset,
        train_preset,
        train_stage1,
    )
    from maniptrans_training.synthetic import make_demo

    demos = [make_demo("lift_box"), make_demo("pour")]
    s1 = stage1_preset()
    for key, value in (("train.run.iterations", 1), ("train.run.num_envs", 4)):
        s1 = replace_path(s1, key, value)
    imitators = {s: train_stage1(demos[:1], s, tmp_path / "s1", s1) for s in ("right", "left")}
    cfg = Stage2Config(train=train_preset(2, "cpu"))
    for key, value in (
        ("train.run.iterations", 1),
        ("train.run.num_envs", 4),
        ("train.run.threads", 1),
        ("train.ppo.num_steps_per_env", 4),
        ("train.policy.actor_hidden", [16]),
        ("train.policy.critic_hidden", [16]),
    ):
        cfg = replace_path(cfg, key, value)
    methods = ("Retarget-only", "ManipTrans")
    serial = compare_methods(demos, tmp_path / "a", cfg, imitators, methods, log=lambda _: None)
    parallel = compare_methods(
        demos, tmp_path / "b", cfg, imitators, methods, log=lambda _: None, jobs=2
    )
    assert serial == parallel
    assert serial["ManipTrans"]["n"] == 2.0
    table = (tmp_path / "b" / "methods.md").read_text()
    assert "lift_box:" in table and "pour:" in table


def _fail_on_two(k: int) -> int:
    if k == 2:
        raise ValueError("job 2 failed")
    return k


def test_a_failing_parallel_job_raises_its_error_and_cancels_the_queue():
    from maniptrans_training.rl.parallel import run_jobs

    assert sorted(run_jobs(_fail_on_two, [(0,), (1,)], workers=2)) == [(0, 0), (1, 1)]
    with pytest.raises(ValueError, match="job 2 failed"):
        list(run_jobs(_fail_on_two, [(k,) for k in range(3)], workers=1))
    with pytest.raises(ValueError, match="job 2 failed"):
        list(run_jobs(_fail_on_two, [(k,) for k in range(3)], workers=2))
