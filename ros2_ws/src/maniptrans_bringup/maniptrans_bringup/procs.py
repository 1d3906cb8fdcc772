"""Node specs -> running processes: command lines, prefixed log streaming, ordered shutdown.

Pure module (no rclpy): the runner's process side, tested on its own with stand-in scripts.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from maniptrans_bringup.errors import BringupError
from maniptrans_bringup.specs import NodeSpec

# Exit codes that mean "stopped by the signal we sent" rather than "failed".
_SIGNAL_EXITS = {
    0,
    -signal.SIGINT,
    -signal.SIGTERM,
    128 + signal.SIGINT,
    128 + signal.SIGTERM,
}


def workspace_root() -> Path | None:
    """The repository root (``MANIPTRANS_ROOT`` or the checkout this file lives in)."""
    env = os.environ.get("MANIPTRANS_ROOT")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "ros2_ws").is_dir():
            return parent
    return None


def find_executable(package: str, executable: str) -> str | None:
    """``<prefix>/lib/<package>/<executable>`` on AMENT_PREFIX_PATH / the workspace, or PATH."""
    prefixes = [p for p in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep) if p]
    root = workspace_root()
    if root is not None:
        prefixes.append(str(root / "ros2_ws" / "install" / package))
    for prefix in prefixes:
        cand = Path(prefix) / "lib" / package / executable
        if cand.is_file() and os.access(cand, os.X_OK):
            return str(cand)
    return shutil.which(executable)


def _yaml_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return value


def write_params_file(spec: NodeSpec, params: Mapping[str, Any], folder: Path) -> Path:
    """The inline parameters of ``spec`` as a ``ros__parameters`` YAML for ``--params-file``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{spec.fqn.strip('/').replace('/', '__')}.params.yaml"
    data = {"/**": {"ros__parameters": {k: _yaml_value(v) for k, v in params.items()}}}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def ros_arguments(spec: NodeSpec, params_dir: Path) -> list[str]:
    """``--ros-args`` of ``spec``: name and namespace remaps, parameter files in order."""
    args = ["--ros-args", "-r", f"__node:={spec.name}"]
    if spec.namespace:
        args += ["-r", f"__ns:=/{spec.namespace.strip('/')}"]
    for src, dst in spec.remappings:
        args += ["-r", f"{src}:={dst}"]
    for i, p in enumerate(spec.parameters):
        if isinstance(p, str):
            args += ["--params-file", p]
        elif p:
            inline = write_params_file(spec, p, params_dir / str(i))
            args += ["--params-file", str(inline)]
    return args


def command_line(spec: NodeSpec, executable_path: str, params_dir: Path) -> list[str]:
    """The full argv that starts ``spec`` (behind ``nice -n`` when the spec asks for it)."""
    argv = [executable_path, *spec.arguments, *ros_arguments(spec, params_dir)]
    return [*nice_prefix(spec), *argv]


def nice_prefix(spec: NodeSpec) -> list[str]:
    """``["nice", "-n", "<n>"]`` for a spec with a niceness, else ``[]``."""
    return ["nice", "-n", str(spec.nice)] if spec.nice else []


@dataclass
class Child:
    """A node process whose output is streamed line by line with a ``[name]`` prefix."""

    spec: NodeSpec
    argv: list[str]
    proc: subprocess.Popen[bytes]
    log_file: IO[str] | None = None
    stopping: bool = False
    escalated: bool = False  # SIGINT was not enough: SIGTERM/SIGKILL were needed
    killed: bool = False
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.spec.fqn.lstrip("/")

    def alive(self) -> bool:
        return self.proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.proc.poll()

    def signal(self, sig: int) -> None:
        if self.alive():
            self.signal_group(sig)

    def signal_group(self, sig: int) -> None:
        """Signal the process group, even when its leader has exited already."""
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def failed(self) -> bool:
        """Exited on its own with an error, or did not stop cleanly when asked to."""
        rc = self.returncode
        if rc is None:
            return False
        if self.killed or self.escalated:
            return True
        if self.stopping:
            return rc not in _SIGNAL_EXITS
        return rc != 0

    def join_output(self, timeout: float = 2.0) -> None:
        for t in self._threads:
            t.join(timeout)


class LineSink:
    """Writes prefixed lines from many threads to one stream (our stdout) without interleaving."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.lock = threading.Lock()

    def write(self, prefix: str, line: str) -> None:
        with self.lock:
            self.stream.write(f"[{prefix}] {line}\n")
            self.stream.flush()


def _pump(child: Child, pipe: IO[bytes], sink: LineSink) -> None:
    for raw in iter(pipe.readline, b""):
        line = raw.decode(errors="replace").rstrip("\n")
        sink.write(child.label, line)
        if child.log_file is not None:
            try:
                child.log_file.write(line + "\n")
                child.log_file.flush()
            except ValueError:  # closed during shutdown
                pass
    pipe.close()


def start_child(
    spec: NodeSpec,
    executable_path: str,
    *,
    params_dir: Path,
    sink: LineSink,
    log_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Child:
    """Start ``spec`` as its own process group, its output streamed to ``sink``."""
    argv = command_line(spec, executable_path, params_dir)
    full_env = dict(os.environ)
    full_env["PYTHONUNBUFFERED"] = "1"
    full_env.setdefault("RCUTILS_COLORIZED_OUTPUT", "0")
    if env:
        full_env.update(env)
    try:
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=full_env,
            start_new_session=True,
        )
    except OSError as exc:
        raise BringupError(f"node {spec.fqn}: cannot start {argv[0]} ({exc})") from exc
    log_file = None
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        log_file = open(log_dir / f"{spec.fqn.strip('/').replace('/', '__')}.log", "w")
    child = Child(spec=spec, argv=argv, proc=proc, log_file=log_file)
    assert proc.stdout is not None
    t = threading.Thread(target=_pump, args=(child, proc.stdout, sink), daemon=True)
    t.start()
    child._threads.append(t)
    return child


def wait_for_file(
    path: str, timeout: float, abort: Callable[[], str | None] = lambda: None
) -> None:
    """Block until ``path`` exists; ``abort()`` returning a reason stops the wait early."""
    deadline = time.monotonic() + timeout
    while not Path(path).exists():
        reason = abort()
        if reason:
            raise BringupError(f"gave up waiting for {path}: {reason}")
        if time.monotonic() > deadline:
            raise BringupError(f"{path} did not appear within {timeout:.0f} s")
        time.sleep(0.05)


def stop_children(children: list[Child], grace: float = 5.0) -> None:
    """SIGINT each child in the given order (waiting for it), then SIGTERM, then SIGKILL."""
    for child in children:
        if not child.alive():
            continue
        child.stopping = True
        for sig, wait in ((signal.SIGINT, grace), (signal.SIGTERM, 2.0), (signal.SIGKILL, 2.0)):
            if not child.alive():
                break
            child.escalated = sig != signal.SIGINT
            if sig == signal.SIGKILL:
                child.killed = True
            child.signal(sig)
            try:
                child.proc.wait(wait)
            except subprocess.TimeoutExpired:
                continue
    for child in children:
        child.signal_group(signal.SIGKILL)  # stragglers of the process group
        child.join_output()
        if child.log_file is not None:
            child.log_file.close()


__all__ = [
    "Child",
    "LineSink",
    "command_line",
    "find_executable",
    "ros_arguments",
    "start_child",
    "stop_children",
    "wait_for_file",
    "workspace_root",
    "write_params_file",
]
