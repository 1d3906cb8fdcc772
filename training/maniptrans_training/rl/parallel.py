"""Independent training jobs in worker processes, for small CPU machines.

An environment step is single-threaded Python and MuJoCo, so on a machine with a few cores two
trainings side by side nearly double the throughput of one. Each worker gets one torch thread
(two jobs each asking for two threads on two cores slow each other down far more than they
gain). Workers start with ``spawn``: no forked torch or MuJoCo state.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

R = TypeVar("R")


def single_threaded(cfg: Any) -> Any:
    """``cfg`` (a config with ``train.run.threads`` somewhere) with one torch thread."""
    if hasattr(cfg, "train"):
        return dataclasses.replace(cfg, train=single_threaded(cfg.train))
    return dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, threads=1))


def _call(fn: Callable[..., R], args: tuple) -> R:
    import torch

    torch.set_num_threads(1)
    return fn(*args)


def run_jobs(
    fn: Callable[..., R], jobs: Iterable[tuple], workers: int = 1
) -> Iterator[tuple[int, R]]:
    """Yield ``(index, fn(*args))`` for every ``args`` of ``jobs``: in order and in this process
    with ``workers`` <= 1, else as they finish in that many worker processes (``fn`` and its
    arguments must pickle). A failing job raises here once the running ones finish; jobs not
    started yet are cancelled."""
    items = list(jobs)
    if workers <= 1 or len(items) <= 1:
        for k, args in enumerate(items):
            yield k, fn(*args)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {pool.submit(_call, fn, args): k for k, args in enumerate(items)}
        try:
            for f in as_completed(futures):
                yield futures[f], f.result()
        except BaseException:  # a job failed, or the caller stopped early: drop the queue
            pool.shutdown(wait=True, cancel_futures=True)
            raise
