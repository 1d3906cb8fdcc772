"""The arm IK benchmark runs on small inputs and compares like with like (no timing asserted)."""

from __future__ import annotations

import pytest

pytest.importorskip("pink")


def test_quick_benchmark_reports_both_solvers_on_the_same_targets():
    from bench import BenchArgs
    from bench.bench_arm_ik import run

    records = run(BenchArgs(quick=True, seed=1))
    names = {r["name"] for r in records}
    assert names == {
        "arm_ik.random_targets.mean_solve_cpu_time",
        "arm_ik.random_targets.success_rate",
        "arm_ik.trajectory_warm.mean_solve_cpu_time",
        "arm_ik.trajectory_warm.success_rate",
    }
    by_name = {r["name"]: r for r in records}
    assert by_name["arm_ik.random_targets.success_rate"]["ours"] == 1.0
    assert by_name["arm_ik.trajectory_warm.success_rate"]["ours"] == 1.0
    traj = by_name["arm_ik.trajectory_warm.mean_solve_cpu_time"]
    assert traj["ours_max_joint_step_rad"] <= traj["per_step_limit_rad"] + 1e-12
    assert all(r["ours"] > 0 and r["anchor_value"] > 0 for r in records)
