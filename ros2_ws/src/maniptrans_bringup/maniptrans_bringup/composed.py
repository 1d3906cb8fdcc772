"""``maniptrans-replay --composed``: every node class of the graph in one process.

Each spec's node class is the one ``Node`` subclass of the module its console script points at
(one node per file, the project rule). It is constructed with ``cli_args`` carrying the same
``--ros-args`` the separate process would get (name, namespace, parameter files), so the
composed graph equals the multi-process one. All nodes share a MultiThreadedExecutor.
Node classes should forward ``**kwargs`` to ``Node.__init__`` (rclpy composition); for one
that does not, :func:`construct` injects the arguments into its ``Node.__init__`` call.
"""

from __future__ import annotations

import importlib
import inspect
import threading
import time
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path

from maniptrans_bringup.errors import BringupError
from maniptrans_bringup.procs import LineSink, ros_arguments, wait_for_file
from maniptrans_bringup.specs import ROLE_PLAYER, STOP_ORDER, NodeSpec, ReplayArgs


def node_class(spec: NodeSpec) -> type:
    """The Node subclass behind ``spec.executable`` (via its console-script entry point)."""
    from rclpy.node import Node

    eps = [ep for ep in entry_points(group="console_scripts") if ep.name == spec.executable]
    if not eps:
        raise BringupError(
            f"node {spec.fqn}: no Python console script {spec.executable!r} (package "
            f"{spec.package!r}); it cannot be composed"
        )
    module = importlib.import_module(eps[0].value.split(":")[0])
    classes = [
        c
        for _, c in inspect.getmembers(module, inspect.isclass)
        if issubclass(c, Node) and c is not Node and c.__module__ == module.__name__
    ]
    if len(classes) != 1:
        raise BringupError(
            f"node {spec.fqn}: expected one Node subclass in {module.__name__}, found "
            f"{[c.__name__ for c in classes]}"
        )
    return classes[0]


def _accepts_kwargs(cls: type) -> bool:
    params = inspect.signature(cls.__init__).parameters.values()
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


def construct(cls: type, cli_args: list[str]):
    """``cls`` constructed with node-local ``cli_args`` (name, namespace, parameter files).

    Classes that forward ``**kwargs`` get them directly. For a class that does not, the
    arguments are injected into its ``Node.__init__`` call for the duration of the
    construction (constructors run one at a time on this thread).
    """
    from rclpy.node import Node

    kwargs = {"cli_args": cli_args, "use_global_arguments": False}
    if _accepts_kwargs(cls):
        return cls(**kwargs)
    original = Node.__init__

    def init_with_args(self, node_name, *args, **kw):
        for k, v in kwargs.items():
            kw.setdefault(k, v)
        original(self, node_name, *args, **kw)

    Node.__init__ = init_with_args
    try:
        return cls()
    finally:
        Node.__init__ = original


def _resolve(spec: NodeSpec, sink: LineSink) -> tuple[NodeSpec, type]:
    try:
        return spec, node_class(spec)
    except BringupError as exc:
        if spec.fallback is None:
            raise
        sink.write("replay", f"WARNING: {exc}; using {spec.fallback.fqn} instead")
        return spec.fallback, node_class(spec.fallback)


def run_composed(
    specs: Sequence[NodeSpec], args: ReplayArgs, *, sink: LineSink, startup_timeout: float
) -> int:
    """Run the graph in this process; returns the exit code (0 = task played to its end)."""
    import rclpy
    from rclpy.executors import MultiThreadedExecutor

    from maniptrans_description.node_runtime import init_ros

    try:
        resolved = [_resolve(s, sink) for s in specs]
    except BringupError as exc:
        sink.write("replay", f"ERROR: {exc}")
        return 2
    # the nodes' own stop handling: a flag, and every thread's stack if still running 4 s on
    stop = init_ros()
    reason = "done"
    executor = MultiThreadedExecutor(num_threads=4)
    nodes: list[tuple[NodeSpec, object]] = []
    code = 0
    halt = threading.Event()  # stops the spin thread (after the drain)
    spin = threading.Thread(target=_spin, args=(executor, halt), daemon=True)
    try:
        params_dir = Path(args.run_dir) / "params"
        for spec, cls in resolved:
            if spec.needs_file:
                wait_for_file(
                    spec.needs_file,
                    startup_timeout,
                    lambda: f"received {stop.signal_name}" if stop.is_set() else None,
                )
            sink.write("replay", f"composing {spec.fqn} ({cls.__module__}.{cls.__name__})")
            node = construct(cls, ros_arguments(spec, params_dir))
            executor.add_node(node)
            nodes.append((spec, node))
            if not spin.is_alive():
                spin.start()
        player = next((n for s, n in nodes if s.role == ROLE_PLAYER), None)
        while not stop.wait(0.05):
            if player is not None and player.done.is_set():
                code = player.exit_code
                reason = "the task ended" if code == 0 else f"player failed ({code})"
                break
        else:
            reason = f"received {stop.signal_name}"
    except BringupError as exc:
        sink.write("replay", f"ERROR: {exc}")
        code = 1
    except Exception as exc:  # a node constructor failed: report and stop the rest
        sink.write("replay", f"ERROR: {type(exc).__name__}: {exc}")
        code = 1
    sink.write("replay", f"stopping ({reason})")
    # keep spinning while messages in flight still reach the recorder: at least 0.3 s, and
    # until each recorder has had its quiet period (a fixed pause lost the last frame on a
    # loaded machine)
    t_stop = time.monotonic()
    recorders = [n for _s, n in nodes if callable(getattr(n, "drained", None))]
    while time.monotonic() - t_stop < 0.3 or not all(
        r.drained(t_stop, time.monotonic()) for r in recorders
    ):
        time.sleep(0.02)
    order = {role: i for i, role in enumerate(STOP_ORDER)}
    halt.set()
    if spin.is_alive():
        spin.join(timeout=2.0)
    for _spec, node in sorted(nodes, key=lambda sn: order.get(sn[0].role, len(order))):
        close = getattr(node, "close", None)
        if callable(close):
            close()
        executor.remove_node(node)
        node.destroy_node()
    executor.shutdown()
    rclpy.try_shutdown()
    return code


def _spin(executor, stop: threading.Event) -> None:
    while not stop.is_set():
        executor.spin_once(timeout_sec=0.05)


__all__ = ["construct", "node_class", "run_composed"]
