"""Dataset transfer: one independent stage-2 job per sequence, run on Ray, resumable.

Each job trains the residual policy on its sequence, rolls it out, measures it and exports the
transferred task to ``<out>/sequences/<name>_<rh|lh|bih>/``. The export is atomic: everything is
written into a temporary folder next to it and renamed into place at the end, so a sequence
folder either is complete or does not exist, and an interrupted run resumes by skipping the
sequences whose folder exists. Per-sequence results (metrics, status, error) are merged into
``<out>/results.json`` as jobs finish.

``ray_address``: ``"local"`` starts a private Ray instance on this machine; anything else
(``"auto"``, ``"ray://host:10001"``) connects to that cluster.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from maniptrans_training.errors import TrainingError

SEQUENCES_DIR = "sequences"
RESULTS_FILE = "results.json"


@dataclass(frozen=True)
class TransferJob:
    """One sequence to transfer.

    Attributes:
        sequence: a synthetic task name (``lift_box``, ``handover``, ``pour``, optionally
            ``task@seed``) or the path of a demo ``.npz``.
        out_dir: the run's output root.
        stage2_json: ``Stage2Config`` as JSON.
        imitators: side -> stage-1 checkpoint path (for base "imitator").
    """

    sequence: str
    out_dir: str
    stage2_json: str
    imitators: tuple[tuple[str, str], ...] = ()


def load_sequence(spec: str):
    """Demo for a job's ``sequence`` spec (see :class:`TransferJob`)."""
    from maniptrans_training.demo import load_demo
    from maniptrans_training.synthetic import TASKS, make_demo

    if spec.endswith(".npz"):
        return load_demo(spec)
    task, _, seed = spec.partition("@")
    if task not in TASKS:
        raise TrainingError(
            f"sequence {spec!r}: not a demo .npz and not a synthetic task; tasks: {sorted(TASKS)}"
        )
    demo = make_demo(task, int(seed) if seed else 0)
    if seed:
        import dataclasses

        demo = dataclasses.replace(demo, name=f"{demo.name}_s{seed}")
    return demo


def sequence_dir(out_dir: str | Path, demo) -> Path:
    """``<out>/sequences/<name>_<rh|lh|bih>``."""
    from maniptrans_training.export import sequence_name

    return Path(out_dir) / SEQUENCES_DIR / sequence_name(demo.name, demo.sides)


def transfer_one(job: TransferJob) -> dict[str, Any]:
    """Train, roll out, measure and export one sequence (skips a finished one)."""
    import torch

    from maniptrans_training.rl.config import config_from_json
    from maniptrans_training.rl.evaluate import ComposedPolicy, evaluate_policy, export_atomically
    from maniptrans_training.rl.stages import (
        Stage2Config,
        make_reference,
        residual_actor,
        stage2_config_of,
        train_stage2,
    )

    torch.set_num_threads(1)
    t0 = time.monotonic()
    demo = load_sequence(job.sequence)
    final = sequence_dir(job.out_dir, demo)
    if final.is_dir():
        return {"sequence": job.sequence, "status": "skipped", "dir": str(final)}
    cfg = config_from_json(Stage2Config, job.stage2_json, "stage2")
    work = Path(job.out_dir) / "work" / final.name
    reference = make_reference(demo, cfg.retarget_clearance)
    imitators = {s: Path(p) for s, p in job.imitators}
    ck = train_stage2(
        demo, work, cfg, imitators or None, reference=reference, sequence=job.sequence
    )
    policy = ComposedPolicy(reference, cfg, stage2_config_of(ck)[1], residual_actor(ck))
    record, m = evaluate_policy(reference, cfg, policy)
    export_atomically(record, demo, final)
    return {
        "sequence": job.sequence,
        "status": "done",
        "dir": str(final),
        "checkpoint": str(ck),
        "E_r": m.overall.E_r,
        "E_t": m.overall.E_t,
        "E_j": m.overall.E_j,
        "E_ft": m.overall.E_ft,
        "success": bool(m.overall.success),
        "seconds": round(time.monotonic() - t0, 1),
    }


def _merge_results(out_dir: Path, rows: list[dict[str, Any]]) -> None:
    path = out_dir / RESULTS_FILE
    old = json.loads(path.read_text()) if path.is_file() else {}
    for r in rows:
        if r.get("status") == "skipped" and r["sequence"] in old:
            continue
        old[r["sequence"]] = r
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(old, indent=1, sort_keys=True, default=str))
    os.replace(tmp, path)


def run_transfer(
    sequences: Sequence[str],
    out_dir: str | Path,
    stage2_json: str,
    imitators: dict[str, str] | None = None,
    ray_address: str = "local",
    retries: int = 1,
    num_cpus: int | None = None,
) -> list[dict[str, Any]]:
    """Transfer ``sequences`` as Ray tasks; returns one result row per sequence.

    Finished sequences are skipped; a job that raises is retried ``retries`` times and then
    reported with ``status: "failed"`` and its error, without stopping the others.
    """
    import ray

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [
        TransferJob(s, str(out.resolve()), stage2_json, tuple(sorted((imitators or {}).items())))
        for s in sequences
    ]
    rows: list[dict[str, Any]] = []
    todo = []
    for j in jobs:  # finished sequences are skipped here already (no Ray start for them)
        try:
            final = sequence_dir(out, load_sequence(j.sequence))
        except TrainingError:
            final = None  # the job itself reports the error, after its retries
        if final is not None and final.is_dir():
            rows.append({"sequence": j.sequence, "status": "skipped", "dir": str(final)})
        else:
            todo.append(j)
    _merge_results(out, rows)
    order = {s: i for i, s in enumerate(sequences)}
    if not todo:
        return sorted(rows, key=lambda r: order[r["sequence"]])
    started_here = not ray.is_initialized()
    if started_here:
        if ray_address == "local":
            ray.init(
                num_cpus=num_cpus or os.cpu_count(),
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        else:
            ray.init(address=ray_address, log_to_driver=False)
    try:
        remote = ray.remote(num_cpus=1, max_retries=retries, retry_exceptions=True)(transfer_one)
        refs = {remote.remote(j): j for j in todo}
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            job = refs[ready[0]]
            try:
                row = ray.get(ready[0])
            except Exception as e:  # the job's own error, after its retries
                cause = getattr(e, "cause", None) or e
                row = {"sequence": job.sequence, "status": "failed", "error": str(cause)[-500:]}
            rows.append(row)
            _merge_results(out, [row])
        return sorted(rows, key=lambda r: order[r["sequence"]])
    finally:
        if started_here:
            ray.shutdown()
