"""Start ROS 2 node executables as real processes and talk to them from the test process.

Every test gets its own ``ROS_DOMAIN_ID`` (from the process id and a counter), loopback-only
discovery, and a temporary log file per node. A node process runs in its own process group, so
teardown reaches every child it started, even when the test failed.

Pure helpers (no pytest import) so the harness itself can be tested and reused by benchmarks.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_DOMAIN_COUNTER = itertools.count()
# Domains 0..101 are valid on Linux for Fast DDS with default port mapping (more collide with
# ephemeral ports); keep away from 0, the default every unconfigured ROS process uses.
_DOMAIN_MIN, _DOMAIN_MAX = 1, 101


class HarnessError(RuntimeError):
    """A node process could not be started or did not come up; the message holds its log."""


def next_domain_id() -> int:
    """A ROS_DOMAIN_ID unlikely to be used by another test run on this machine right now."""
    span = _DOMAIN_MAX - _DOMAIN_MIN + 1
    return _DOMAIN_MIN + (os.getpid() * 7 + next(_DOMAIN_COUNTER)) % span


def ros_env(domain_id: int, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a node process: this one, pinned to ``domain_id`` and to loopback."""
    env = dict(os.environ)
    env["ROS_DOMAIN_ID"] = str(domain_id)
    env["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    env["ROS_LOCALHOST_ONLY"] = "1" if env.get("ROS_DISTRO") == "humble" else "0"
    env["PYTHONUNBUFFERED"] = "1"
    env["RCUTILS_COLORIZED_OUTPUT"] = "0"
    if extra:
        env.update(extra)
    return env


def _param_arg(name: str, value: Any) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (list, tuple)):
        text = "[" + ",".join(_param_literal(v) for v in value) + "]"
    else:
        text = _param_literal(value)
    return f"{name}:={text}"


def _param_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return repr(value)


def ros_args(
    params: Mapping[str, Any] | None = None,
    remaps: Mapping[str, str] | None = None,
    params_file: str | os.PathLike[str] | None = None,
    name: str | None = None,
) -> list[str]:
    """Command-line ``--ros-args`` for parameters, remappings, a parameter file and a node name."""
    out: list[str] = []
    for k, v in (params or {}).items():
        out += ["-p", _param_arg(k, v)]
    for k, v in (remaps or {}).items():
        out += ["-r", f"{k}:={v}"]
    if params_file is not None:
        out += ["--params-file", str(params_file)]
    if name is not None:
        out += ["-r", f"__node:={name}"]
    return ["--ros-args", *out] if out else []


@dataclass
class NodeProcess:
    """A node executable running as its own process (group); its output goes to ``log_path``."""

    executable: str
    argv: list[str]
    log_path: Path
    proc: subprocess.Popen[bytes]
    started_at: float = field(default_factory=time.monotonic)

    def log(self) -> str:
        """Everything the process printed so far (stdout and stderr interleaved)."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def alive(self) -> bool:
        return self.proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.proc.poll()

    def send_signal(self, sig: int) -> None:
        """Signal the whole process group (the node and anything it started)."""
        if self.alive():
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def terminate(self, timeout: float = 5.0) -> int | None:
        """SIGINT (what Ctrl-C sends: rclpy shuts down cleanly), then SIGTERM, then SIGKILL."""
        for sig, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 2.0), (signal.SIGKILL, 2.0)):
            if not self.alive():
                break
            self.send_signal(sig)
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                continue
        # Reap stragglers of the group even if the leader already exited.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        return self.proc.poll()

    def describe(self, tail_lines: int = 60) -> str:
        lines = self.log().splitlines()
        tail = "\n".join("    | " + ln for ln in lines[-tail_lines:]) or "    | (no output)"
        state = "running" if self.alive() else f"exited with code {self.returncode}"
        return f"node `{' '.join(self.argv)}` ({state}); log {self.log_path}:\n{tail}"


def resolve_executable(executable: str, package: str | None = None) -> str:
    """Find a node executable: ``install/<package>/lib/<package>/<exe>`` first, then PATH."""
    if os.sep in executable:
        return executable
    if package:
        root = Path(os.environ.get("MANIPTRANS_ROOT", Path(__file__).resolve().parent.parent))
        candidate = root / "ros2_ws" / "install" / package / "lib" / package / executable
        if candidate.exists():
            return str(candidate)
    found = shutil.which(executable)
    if found is None:
        raise HarnessError(
            f"executable {executable!r} not found (package={package!r}); is it a console script "
            "of an installed package? Run `make build` after adding entry points."
        )
    return found


def start_node(
    executable: str,
    *,
    domain_id: int,
    log_dir: Path,
    package: str | None = None,
    args: Sequence[str] = (),
    params: Mapping[str, Any] | None = None,
    remaps: Mapping[str, str] | None = None,
    params_file: str | os.PathLike[str] | None = None,
    name: str | None = None,
    env: Mapping[str, str] | None = None,
    python_module: bool = False,
) -> NodeProcess:
    """Start ``executable`` as a new process group in ``domain_id``.

    ``executable`` is an installed console script (looked up in
    ``install/<package>/lib/<package>``, then PATH), a path to a ``.py`` file (run with this
    interpreter), or with ``python_module`` a module run as ``python -m``.
    """
    import sys

    if python_module:
        argv = [sys.executable, "-m", executable]
    elif executable.endswith(".py"):
        argv = [sys.executable, executable]
    else:
        argv = [resolve_executable(executable, package)]
    argv += list(args) + ros_args(params, remaps, params_file, name)
    log_dir.mkdir(parents=True, exist_ok=True)
    stem = Path(executable).name.replace(".", "_")
    log_path = log_dir / f"{stem}-{next(_DOMAIN_COUNTER)}.log"
    log_file = open(log_path, "wb")  # the child keeps its own copy
    try:
        proc = subprocess.Popen(
            argv,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=ros_env(domain_id, env),
            start_new_session=True,
        )
    finally:
        log_file.close()
    return NodeProcess(executable=executable, argv=argv, log_path=log_path, proc=proc)


def wait_for(
    predicate: Callable[[], bool],
    timeout: float,
    what: str,
    node: NodeProcess | None = None,
    period: float = 0.05,
) -> None:
    """Poll ``predicate`` until true; on timeout, or if ``node`` dies, raise with its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if node is not None and not node.alive():
            raise HarnessError(f"node died while waiting for {what}.\n{node.describe()}")
        time.sleep(period)
    msg = f"timed out after {timeout:.1f} s waiting for {what}."
    if node is not None:
        msg += "\n" + node.describe()
    raise HarnessError(msg)


class RosPeer:
    """An rclpy node living in the test process on a given domain, spun in a background thread.

    Use ``peer.node`` to create publishers/subscriptions; ``peer.topics()`` lists the graph.
    """

    def __init__(self, domain_id: int, name: str = "test_peer") -> None:
        import rclpy
        from rclpy.context import Context
        from rclpy.executors import SingleThreadedExecutor

        self.context = Context()
        rclpy.init(context=self.context, domain_id=domain_id)
        self.node = rclpy.create_node(name, context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._stop = threading.Event()
        self._thread.start()

    def _spin(self) -> None:
        while not self._stop.is_set() and self.context.ok():
            try:
                self.executor.spin_once(timeout_sec=0.02)
            except Exception:  # context shut down under us during teardown
                if self._stop.is_set():
                    return
                raise

    def topics(self) -> dict[str, list[str]]:
        return dict(self.node.get_topic_names_and_types())

    def wait_topics(
        self, names: Iterable[str], timeout: float = 20.0, node: NodeProcess | None = None
    ) -> None:
        """Wait until every topic in ``names`` has at least one publisher in the graph."""
        names = list(names)

        def up() -> bool:
            return all(self.node.count_publishers(n) > 0 for n in names)

        def missing() -> str:
            return ", ".join(n for n in names if self.node.count_publishers(n) == 0)

        try:
            wait_for(up, timeout, f"topics {names}", node)
        except HarnessError as exc:
            raise HarnessError(f"{exc}\nstill without a publisher: {missing()}") from None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)
        try:
            self.executor.shutdown(timeout_sec=1.0)
            self.node.destroy_node()
        finally:
            if self.context.ok():
                self.context.shutdown()
