"""Project benchmarks: `make bench` runs every `bench/bench_*.py` and writes bench/results.json.

A benchmark module defines ``run(args: BenchArgs) -> list[Record]``. Every record compares *ours*
with an *anchor* measured in the same run on the same inputs (these machines are noisy: only ratios
taken side by side mean anything). ``ratio`` > 1 always means we are better.
"""

from bench.common import BenchArgs, Record, record, timed

__all__ = ["BenchArgs", "Record", "record", "timed"]
