"""``maniptrans-replay``: the replay graph without ``ros2 launch``.

    maniptrans-replay task:=<seq dir | rollouts.hdf5 | bag> mock:=true record:=true rate:=1.0
    maniptrans-replay --composed task:=...     # every node class in one process
    maniptrans-replay --print-graph task:=...  # show the graph and exit

Starts the graph of :func:`maniptrans_bringup.specs.build_graph` (the very specs the launch file
uses) as separate processes, streams their output prefixed with ``[node]``, and shuts everything
down in order (player, pipeline, drivers, recorder last, mock) on Ctrl-C / SIGTERM or when the
task ends. Exits 0 when the task played to its end and no node failed, 1 when a node failed,
2 on bad arguments or a failed pre-flight check.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from maniptrans_bringup.errors import BringupError
from maniptrans_bringup.preflight import run_preflight
from maniptrans_bringup.procs import (
    Child,
    LineSink,
    find_executable,
    start_child,
    stop_children,
    wait_for_file,
)
from maniptrans_bringup.specs import (
    ROLE_PLAYER,
    STOP_ORDER,
    GraphSummary,
    NodeSpec,
    ReplayArgs,
    build_graph,
    parse_cli_args,
)

EXIT_OK, EXIT_NODE_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def resolve_specs(specs: Sequence[NodeSpec], sink: LineSink) -> list[tuple[NodeSpec, str]]:
    """Each spec with its executable path; a missing one is replaced by its fallback (with a
    warning) or raises :class:`BringupError` naming the package and executable."""
    out: list[tuple[NodeSpec, str]] = []
    for spec in specs:
        path = find_executable(spec.package, spec.executable)
        if path is None and spec.fallback is not None:
            fb = spec.fallback
            fb_path = find_executable(fb.package, fb.executable)
            if fb_path is not None:
                sink.write(
                    "replay",
                    f"WARNING: {spec.package}/{spec.executable} is not installed here: "
                    f"skipping {spec.fqn}; {fb.package}/{fb.executable} ({fb.fqn}) "
                    "publishes /robot_description instead",
                )
                out.append((fb, fb_path))
                continue
        if path is None:
            raise BringupError(
                f"node {spec.fqn}: executable {spec.executable!r} of package {spec.package!r} "
                "not found (run `make build`, and source env.sh)"
            )
        out.append((spec, path))
    return out


class Runner:
    """Starts resolved specs, watches them, and stops them in :data:`STOP_ORDER`."""

    def __init__(
        self,
        resolved: Sequence[tuple[NodeSpec, str]],
        *,
        run_dir: Path,
        sink: LineSink,
        startup_timeout: float = 30.0,
    ) -> None:
        self.resolved = list(resolved)
        self.run_dir = run_dir
        self.sink = sink
        self.startup_timeout = startup_timeout
        self.children: list[Child] = []
        self.stop_requested = threading.Event()
        self.stop_reason = ""
        self.task_finished = False
        self.failures: list[str] = []

    def request_stop(self, reason: str) -> None:
        if not self.stop_requested.is_set():
            self.stop_reason = reason
            self.stop_requested.set()

    def _died_early(self) -> str | None:
        for c in self.children:
            if not c.alive():
                return f"{c.label} exited with code {c.returncode}"
        if self.stop_requested.is_set():
            return self.stop_reason
        return None

    def start(self) -> None:
        for spec, path in self.resolved:
            if spec.needs_file:
                wait_for_file(spec.needs_file, self.startup_timeout, self._died_early)
            if self.stop_requested.is_set():
                return
            self.sink.write("replay", f"starting {spec.fqn} ({spec.package}/{spec.executable})")
            self.children.append(
                start_child(
                    spec,
                    path,
                    params_dir=self.run_dir / "params",
                    sink=self.sink,
                    log_dir=self.run_dir / "logs",
                )
            )

    def watch(self, period: float = 0.05) -> None:
        """Return when a stop was requested, the task ended, or a node exited."""
        while not self.stop_requested.wait(period):
            for c in self.children:
                if c.alive():
                    continue
                rc = c.returncode
                if c.spec.role == ROLE_PLAYER and rc == 0:
                    self.task_finished = True
                    self.request_stop("the task ended")
                else:
                    self.request_stop(f"{c.label} exited with code {rc}")
                break

    def stop(self) -> None:
        order = {role: i for i, role in enumerate(STOP_ORDER)}
        ordered = sorted(self.children, key=lambda c: order.get(c.spec.role, len(order)))
        self.sink.write("replay", f"stopping ({self.stop_reason or 'done'})")
        stop_children(ordered)
        for c in self.children:
            if c.failed():
                if c.killed:
                    how = "did not stop and was killed"
                elif c.escalated:
                    how = f"ignored SIGINT and was terminated (code {c.returncode})"
                else:
                    how = f"exited with code {c.returncode}"
                self.failures.append(f"{c.label} {how}")

    def exit_code(self) -> int:
        if self.failures:
            return EXIT_NODE_FAILED
        return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="maniptrans-replay",
        description="Replay a transferred task through the whole graph (no ros2 launch needed).",
        epilog="arguments as for the launch file: task:=PATH mock:=true|false record:=true|false "
        "rate:=SCALE calibration:=YAML rollout:=K loop:=false bag:=DIR storage:=mcap|sqlite3 "
        "mock_speed:=FACTOR preflight:=true|false",
    )
    p.add_argument("launch_args", nargs="*", help="name:=value")
    p.add_argument("--composed", action="store_true", help="all node classes in one process")
    p.add_argument("--print-graph", action="store_true", help="print the graph and exit")
    p.add_argument("--startup-timeout", type=float, default=60.0, help="[s]")
    return p


def _install_signal_handlers(runner_stop) -> None:
    def handler(signum, _frame) -> None:
        runner_stop(f"received {signal.Signals(signum).name}")

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def main(argv: Sequence[str] | None = None) -> int:
    opts = _parser().parse_args(argv)
    sink = LineSink()
    try:
        args = ReplayArgs.from_strings(parse_cli_args(opts.launch_args)).resolved()
        if not args.task:
            raise BringupError("no task:=PATH given and no default task ships with this install")
        if not Path(args.task).exists():
            raise BringupError(f"task:={args.task}: no such file or folder")
        specs = build_graph(args)
    except BringupError as exc:
        print(f"maniptrans-replay: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if opts.print_graph:
        for line in GraphSummary(tuple(specs)).lines():
            print(line)
        return EXIT_OK
    run_dir = Path(args.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    if args.preflight:
        result = run_preflight(args.task, args.calibration, args.rollout)
        for line in result.lines():
            sink.write("preflight", line)
        if not result.ok:
            print(
                "maniptrans-replay: pre-flight check failed, nothing was started", file=sys.stderr
            )
            return EXIT_BAD_INPUT
    if opts.composed:
        from maniptrans_bringup.composed import run_composed

        return run_composed(specs, args, sink=sink, startup_timeout=opts.startup_timeout)
    try:
        resolved = resolve_specs(specs, sink)
    except BringupError as exc:
        print(f"maniptrans-replay: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    runner = Runner(resolved, run_dir=run_dir, sink=sink, startup_timeout=opts.startup_timeout)
    _install_signal_handlers(runner.request_stop)
    t0 = time.monotonic()
    try:
        runner.start()
        runner.watch()
    except BringupError as exc:
        runner.failures.append(str(exc))
        runner.request_stop(str(exc))
    finally:
        runner.stop()
    took = time.monotonic() - t0
    if runner.failures:
        sink.write("replay", f"FAILED after {took:.1f} s: " + "; ".join(runner.failures))
    else:
        what = "task ended" if runner.task_finished else runner.stop_reason
        sink.write("replay", f"done after {took:.1f} s ({what}); bag: {args.bag}")
    return runner.exit_code()


if __name__ == "__main__":
    sys.exit(main())
