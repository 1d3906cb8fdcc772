"""`python -m bench [--quick] [--only PATTERN] [--out bench/results.json]`: run every benchmark."""

from __future__ import annotations

import argparse
import importlib
import json
import math
import pkgutil
import sys
import time
import traceback
from pathlib import Path

import bench
from bench.common import BenchArgs, Record


def discover(only: str | None) -> list[str]:
    names = sorted(
        m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")
    )
    return [n for n in names if only is None or only in n]


def table(records: list[Record]) -> str:
    head = f"{'benchmark':<52} {'unit':<12} {'ours':>12} {'anchor':>12}  {'ratio':>8}  anchor"
    lines = [head, "-" * len(head)]
    for r in records:
        ratio = r["ratio"]
        ratio_s = "inf" if math.isinf(ratio) else f"{ratio:.2f}x"
        lines.append(
            f"{r['name']:<52} {r['unit']:<12} {r['ours']:>12.4g} {r['anchor_value']:>12.4g}"
            f"  {ratio_s:>8}  {r['anchor']}"
        )
    lines.append("ratio > 1 means ours is better (faster, more accurate or higher rate).")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small inputs (smoke run)")
    parser.add_argument("--only", help="run only benchmark modules whose name contains this")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results.json")
    args = parser.parse_args(argv)
    modules = discover(args.only)
    if not modules:
        print("no benchmark modules found", file=sys.stderr)
        return 1
    records: list[Record] = []
    failed: list[str] = []
    for name in modules:
        print(f"[bench] {name} ...", flush=True)
        t0 = time.perf_counter()
        try:
            mod = importlib.import_module(f"bench.{name}")
            got = mod.run(BenchArgs(quick=args.quick, seed=args.seed))
        except Exception:  # one broken benchmark must not hide the others' results
            traceback.print_exc()
            failed.append(name)
            continue
        for r in got:
            r.setdefault("module", name)
        records.extend(got)
        print(
            f"[bench] {name}: {len(got)} records in {time.perf_counter() - t0:.1f} s", flush=True
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(records, indent=2) + "\n")
    print(table(records))
    print(f"[bench] wrote {args.out}")
    if failed:
        print(f"[bench] FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
