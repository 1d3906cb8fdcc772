"""Dataset transfer on local Ray: per-sequence results, failures isolated, resume skips."""

from __future__ import annotations

import json
import typing

import pytest

from maniptrans_training.rl.config import config_to_json, replace_path
from maniptrans_training.rl.evaluate import export_atomically
from maniptrans_training.rl.stages import Stage2Config
from maniptrans_training.rl.transfer import run_transfer
from maniptrans_training.synthetic import make_demo

pytestmark = pytest.mark.slow


def _tiny_stage2_json() -> str:
    cfg = Stage2Config(base="reference")
    for key, value in {
        "train.run.iterations": 1,
        "train.run.num_envs": 4,
        "train.run.threads": 1,
        "train.ppo.num_steps_per_env": 4,
        "train.policy.actor_hidden": [16],
        "train.policy.critic_hidden": [16],
    }.items():
        cfg = replace_path(cfg, key, value)
    return config_to_json(cfg)


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray instance for the module (run_transfer leaves a running one alone)."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_a_resumed_ray_run_skips_finished_sequences_and_reports_failures(tmp_path, local_ray):
    from maniptrans_sim.task_file import load_task

    seqs = ["lift_box", "no_such_task"]
    rows = run_transfer(seqs, tmp_path, _tiny_stage2_json(), retries=0, num_cpus=2)
    assert [r["sequence"] for r in rows] == seqs
    done, failed = rows
    assert done["status"] == "done" and failed["status"] == "failed"
    assert "no_such_task" in failed["error"]
    seq_dir = tmp_path / "sequences" / "lift_box_bih"
    task = load_task(seq_dir)
    assert task.info.type == "bih" and task.num_frames > 100
    stamp = (seq_dir / "rollouts.hdf5").stat().st_mtime_ns
    assert not any(p.name.startswith(".") for p in seq_dir.parent.iterdir())

    again = run_transfer(seqs, tmp_path, _tiny_stage2_json(), retries=0, num_cpus=2)
    assert [r["status"] for r in again] == ["skipped", "failed"]  # only the failed one reran
    assert (seq_dir / "rollouts.hdf5").stat().st_mtime_ns == stamp
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["lift_box"]["status"] == "done"  # a skip keeps the finished record
    assert results["no_such_task"]["status"] == "failed"


def test_an_interrupted_export_leaves_no_sequence_folder(tmp_path):
    class Broken:
        hands: typing.ClassVar[dict] = {}

    final = tmp_path / "sequences" / "x_bih"
    with pytest.raises(Exception):  # noqa: B017 - whatever the exporter raises on garbage
        export_atomically(Broken(), make_demo("lift_box"), final)
    assert not final.exists()
    assert list((tmp_path / "sequences").iterdir()) == []
