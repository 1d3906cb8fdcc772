"""The launch_ros side of the node specs: ``replay.launch.py`` is built here.

Imports ``launch`` / ``launch_ros`` lazily (they exist only on a machine with a ROS install);
everything else in this package works without them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from maniptrans_bringup.procs import nice_prefix
from maniptrans_bringup.specs import NodeSpec, ReplayArgs, build_graph

ARG_HELP = {
    "task": "transferred task: sequence folder, its rollouts.hdf5, or a rosbag2 ('' = default)",
    "mock": "true: start mock_rig and point the drivers at it; false: real hardware",
    "record": "record a rosbag2 of the replay",
    "rate": "playback rate scale (1.0 = 60 Hz)",
    "calibration": "rig calibration YAML ('' = maniptrans_description's rig.yaml)",
    "rollout": "rollout index or name ('' = best successful)",
    "loop": "loop the task",
    "bag": "bag folder to create ('' = replay_<time>)",
    "storage": "mcap | sqlite3",
    "mock_speed": "mock twin speed factor (1.0 = real time)",
    "preflight": "refuse the task before motion if a wrist is unreachable",
}


def launch_arguments() -> dict[str, str]:
    """Launch argument name -> default value text (the fields of ReplayArgs)."""
    defaults = ReplayArgs()
    out = {}
    for f in dataclasses.fields(ReplayArgs):
        if f.name == "run_dir":
            continue
        v = getattr(defaults, f.name)
        out[f.name] = str(v).lower() if isinstance(v, bool) else str(v)
    return out


def node_action(spec: NodeSpec):
    """A launch_ros ``Node`` action equivalent to ``spec``."""
    from launch_ros.actions import Node

    return Node(
        package=spec.package,
        executable=spec.executable,
        name=spec.name,
        namespace=spec.namespace or "",
        parameters=[p if isinstance(p, str) else dict(p) for p in spec.parameters],
        remappings=list(spec.remappings),
        arguments=list(spec.arguments),
        output="screen",
        prefix=" ".join(nice_prefix(spec)) or None,
    )


def launch_actions(specs: Sequence[NodeSpec]) -> list:
    """Actions for ``specs``: nodes that need the mock's endpoint file start once it exists."""
    from launch.actions import OpaqueFunction, RegisterEventHandler
    from launch.event_handlers import OnProcessStart

    from maniptrans_bringup.procs import wait_for_file

    actions: list = []
    waiting: list[tuple[NodeSpec, object]] = []
    mock_action = None
    for spec in specs:
        act = node_action(spec)
        if spec.needs_file:
            waiting.append((spec, act))
        else:
            actions.append(act)
            if spec.role == "mock":
                mock_action = act
    if waiting:
        path = waiting[0][0].needs_file
        wait = OpaqueFunction(function=lambda _ctx: wait_for_file(path, 60.0) or [])
        then = [wait, *(a for _, a in waiting)]
        if mock_action is None:
            actions += then
        else:
            actions.append(
                RegisterEventHandler(OnProcessStart(target_action=mock_action, on_start=then))
            )
    return actions


def _setup(context) -> list:
    from launch.substitutions import LaunchConfiguration

    from maniptrans_bringup.errors import BringupError
    from maniptrans_bringup.preflight import run_preflight

    values = {k: LaunchConfiguration(k).perform(context) for k in launch_arguments()}
    args = ReplayArgs.from_strings(values).resolved()
    if args.preflight:
        result = run_preflight(args.task, args.calibration, args.rollout)
        for line in result.lines():
            print(f"[preflight] {line}")
        if not result.ok:
            raise BringupError("pre-flight check failed; nothing was started")
    return launch_actions(build_graph(args))


def generate_replay_launch_description():
    """The LaunchDescription of ``replay.launch.py``."""
    from launch import LaunchDescription
    from launch.actions import DeclareLaunchArgument, OpaqueFunction

    decls = [
        DeclareLaunchArgument(k, default_value=v, description=ARG_HELP.get(k, ""))
        for k, v in launch_arguments().items()
    ]
    return LaunchDescription([*decls, OpaqueFunction(function=_setup)])


def action_keys(actions: Sequence) -> list[tuple[str, str, str, str]]:
    """(package, executable, name, namespace) of every Node in ``actions`` (event handlers
    included), sorted, to compare with :func:`maniptrans_bringup.specs.graph_keys`."""
    from launch.actions import RegisterEventHandler
    from launch_ros.actions import Node

    out = []
    stack = list(actions)
    while stack:
        a = stack.pop()
        if isinstance(a, Node):
            name = a._Node__node_name  # launch_ros keeps the given text here
            ns = a._Node__node_namespace or ""
            out.append((a.node_package, a.node_executable, str(name), str(ns)))
        elif isinstance(a, RegisterEventHandler):
            handler = a.event_handler
            entities = getattr(handler, "_OnActionEventBase__actions_on_event", None) or []
            stack.extend(entities if isinstance(entities, list) else [entities])
    return sorted(out)


__all__ = [
    "action_keys",
    "generate_replay_launch_description",
    "launch_actions",
    "launch_arguments",
    "node_action",
]
