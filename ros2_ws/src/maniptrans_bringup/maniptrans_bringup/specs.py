"""The replay graph, defined once: which nodes run, with which names, namespaces and parameters.

Both ``launch/replay.launch.py`` (``ros2 launch`` on a ROS machine) and the ``maniptrans-replay``
runner (machines without ``ros2 launch``) build their graph from :func:`build_graph`, so the two
start exactly the same nodes. Pure module: no rclpy, no launch imports.

Launch arguments (same names for the launch file and the runner, ``name:=value``):

    task:=<path>          transferred task: sequence folder, its rollouts.hdf5, or a rosbag2
    mock:=true|false      start mock_rig and point the drivers at its endpoints (default true)
    record:=true|false    record a bag with bag_recorder (default true)
    rate:=<scale>         playback rate scale (1.0 = the data's 60 Hz)
    calibration:=<yaml>   rig calibration (arm bases, hand mount, T_world_sim); "" = default
    rollout:=<k>          rollout index or name; "" = best successful rollout
    loop:=true|false      loop the task instead of ending the replay (default false)
    bag:=<dir>            output bag folder (default replay_<time> in the working directory)
    storage:=mcap|sqlite3 bag storage (default mcap)
    mock_speed:=<factor>  twin speed factor of mock_rig (default 1.0 = real time)
    preflight:=true|false reach check of both wrists before anything moves (default true)
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from maniptrans_bringup.errors import BringupError

PACKAGE = "maniptrans_bringup"
SIDES: tuple[str, ...] = ("left", "right")
CONFIG_FILES = {
    "trajectory_player": "trajectory_player.yaml",
    "hand_retarget": "hand_retarget.yaml",
    "arm_ik": "arm_ik.yaml",
    "realman_driver": "realman_driver.yaml",
    "inspire_driver": "inspire_driver.yaml",
    "bag_recorder": "bag_recorder.yaml",
    "mock_rig": "mock_rig.yaml",
}

# Roles tell the runner how to treat a node: the player's clean exit ends the replay; the
# recorder is stopped last so it sees everything; the mock is stopped after the drivers.
ROLE_PLAYER = "player"
ROLE_PIPELINE = "pipeline"
ROLE_DRIVER = "driver"
ROLE_RECORDER = "recorder"
ROLE_MOCK = "mock"
ROLE_DESCRIPTION = "description"
STOP_ORDER = (
    ROLE_PLAYER,
    ROLE_PIPELINE,
    ROLE_DRIVER,
    ROLE_DESCRIPTION,
    ROLE_RECORDER,
    ROLE_MOCK,
)
# CPU niceness by role. Measured with the default task on the 2-core box: at nice 0 the
# recorder (~40 % of a core, one rclpy callback per message) held the hand drivers'
# measurements to 11 Hz and the arms' to 48 Hz while playing; at nice 10 they ran at 39 Hz and
# 93 Hz (of 50 and 100). The drivers' and the mock's fixed-rate device loops get the CPU first
# (negative niceness needs the privilege to raise priority; without it `nice` says so and the
# node runs at the normal priority): with other jobs on the box (load ~8) the hands lagged
# their commands by 180 ms at nice 0, E_ft 5.3 mm; at -5, E_ft 4.2 mm.
RECORDER_NICE = 10
DEVICE_LOOP_NICE = -5


@dataclass(frozen=True)
class NodeSpec:
    """One node of the graph, in the terms of launch_ros' ``Node`` action.

    Attributes:
        package: ROS package holding the executable.
        executable: console script / executable name in ``lib/<package>``.
        name: node name (``__node`` remap).
        namespace: node namespace, "" for the root.
        parameters: parameter YAML paths (``ros__parameters`` files) and inline dicts, applied
            in order (later wins), like launch_ros' ``parameters=[...]``.
        remappings: (from, to) topic remaps.
        arguments: non-ROS command-line arguments.
        role: one of the ``ROLE_*`` constants.
        needs_file: a file that must exist before the node starts (the mock's endpoint file).
        fallback: started instead when ``executable`` is not installed (the runner warns).
        nice: CPU niceness of the node's process (``nice -n``; the launch file's ``prefix``):
            negative for the fixed-rate device loops (drivers, mock), positive for background
            nodes (the recorder receives everything later, not less); see DEVICE_LOOP_NICE.
    """

    package: str
    executable: str
    name: str
    namespace: str = ""
    parameters: tuple[str | Mapping[str, Any], ...] = ()
    remappings: tuple[tuple[str, str], ...] = ()
    arguments: tuple[str, ...] = ()
    role: str = ROLE_PIPELINE
    needs_file: str | None = None
    fallback: NodeSpec | None = None
    nice: int = 0

    @property
    def fqn(self) -> str:
        """Fully qualified node name, e.g. ``/left_arm_ik``."""
        ns = self.namespace.strip("/")
        return f"/{ns}/{self.name}" if ns else f"/{self.name}"

    def merged_parameters(self) -> dict[str, Any]:
        """Every parameter this node gets, files read and dicts applied in order."""
        out: dict[str, Any] = {}
        for p in self.parameters:
            out.update(read_params_file(p, self) if isinstance(p, str) else dict(p))
        return out

    def key(self) -> tuple[str, str, str, str]:
        """What identifies the node in a graph comparison: package, executable, name, ns."""
        return (self.package, self.executable, self.name, self.namespace)


def _as_bool(text: str | bool, key: str) -> bool:
    if isinstance(text, bool):
        return text
    low = str(text).strip().lower()
    if low in ("true", "1", "yes", "on"):
        return True
    if low in ("false", "0", "no", "off"):
        return False
    raise BringupError(f"argument {key}:={text!r}: expected true or false")


def _as_float(text: str | float, key: str, *, positive: bool = True) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise BringupError(f"argument {key}:={text!r}: expected a number") from None
    if positive and not value > 0.0:
        raise BringupError(f"argument {key}:={text!r}: expected a number > 0")
    return value


@dataclass(frozen=True)
class ReplayArgs:
    """The launch arguments (see the module docstring); paths are kept as given."""

    task: str = ""
    mock: bool = True
    record: bool = True
    rate: float = 1.0
    calibration: str = ""
    rollout: str = ""
    loop: bool = False
    bag: str = ""
    storage: str = "mcap"
    mock_speed: float = 1.0
    preflight: bool = True
    run_dir: str = ""  # where the runner keeps generated files (mock endpoints, params)

    def __post_init__(self) -> None:
        if self.storage not in ("mcap", "sqlite3"):
            raise BringupError(f"argument storage:={self.storage!r}: expected mcap or sqlite3")
        if not self.rate > 0.0:
            raise BringupError(f"argument rate:={self.rate!r}: expected a number > 0")
        if not self.mock_speed > 0.0:
            raise BringupError(f"argument mock_speed:={self.mock_speed!r}: expected > 0")

    @classmethod
    def from_strings(cls, values: Mapping[str, str]) -> ReplayArgs:
        """Build from ``name -> text`` (launch configurations or ``name:=value`` tokens)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise BringupError(
                f"unknown argument(s) {unknown}; expected some of {sorted(known - {'run_dir'})}"
            )
        kw: dict[str, Any] = {}
        for k, v in values.items():
            if k in ("mock", "record", "loop", "preflight"):
                kw[k] = _as_bool(v, k)
            elif k in ("rate", "mock_speed"):
                kw[k] = _as_float(v, k)
            else:
                kw[k] = str(v)
        return cls(**kw)

    def resolved(self) -> ReplayArgs:
        """Defaults filled in: an absolute task path, a bag folder and a run folder."""
        stamp = time.strftime("%Y%m%d_%H%M%S")
        task = str(Path(self.task).expanduser().resolve()) if self.task else default_task()
        bag = self.bag or str(Path.cwd() / f"replay_{stamp}")
        run_dir = self.run_dir or str(Path(bag).with_name(Path(bag).name + "_run"))
        calib = str(Path(self.calibration).expanduser().resolve()) if self.calibration else ""
        return replace(self, task=task, bag=bag, run_dir=run_dir, calibration=calib)

    @property
    def endpoints_file(self) -> str:
        """The YAML the mock rig writes with the drivers' endpoints (per driver node)."""
        return str(Path(self.run_dir) / "mock_endpoints.yaml")


def parse_cli_args(tokens: Sequence[str]) -> dict[str, str]:
    """``["task:=x", "mock:=false"]`` -> ``{"task": "x", "mock": "false"}``."""
    out: dict[str, str] = {}
    for tok in tokens:
        if ":=" not in tok:
            raise BringupError(f"argument {tok!r}: expected name:=value (e.g. task:=path)")
        k, v = tok.split(":=", 1)
        if not k:
            raise BringupError(f"argument {tok!r}: empty name before ':='")
        out[k] = v
    return out


def share_dir() -> Path:
    """This package's share folder (installed) or its source folder (tests from a checkout)."""
    try:
        from ament_index_python.packages import get_package_share_directory

        return Path(get_package_share_directory(PACKAGE))
    except Exception:  # not installed or ament_index unavailable: the source tree
        return Path(__file__).resolve().parent.parent


def config_file(node_kind: str) -> str:
    """Absolute path of the parameter YAML of ``node_kind`` (a key of ``CONFIG_FILES``)."""
    path = share_dir() / "config" / CONFIG_FILES[node_kind]
    if not path.is_file():
        src = Path(__file__).resolve().parent.parent / "config" / CONFIG_FILES[node_kind]
        if src.is_file():
            return str(src)
        raise BringupError(f"{path}: parameter file of {node_kind!r} not found")
    return str(path)


def default_task(kind: str = "default") -> str:
    """A task that ships with the repository (``tasks/<kind>/<name>_bih``), or "".

    ``default``: the Retarget-only task ``make demo`` replays; ``trained``: the rollout of a
    trained ManipTrans policy (``make trained-task``)."""
    for root in (
        share_dir() / "tasks" / kind,
        Path(__file__).parent.parent / "tasks" / kind,
    ):
        if root.is_dir():
            seqs = sorted(p for p in root.iterdir() if (p / "rollouts.hdf5").is_file())
            if seqs:
                return str(seqs[0])
    return ""


def read_params_file(path: str, spec: NodeSpec | None = None) -> dict[str, Any]:
    """Parameters a ``ros__parameters`` YAML gives ``spec`` (keys ``/**``, name, or fqn)."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise BringupError(f"{path}: cannot read parameter file ({exc})") from exc
    if not isinstance(data, dict):
        raise BringupError(f"{path}: expected a mapping of node names, found {type(data)}")
    out: dict[str, Any] = {}
    keys = ["/**", "**"]
    if spec is not None:
        keys += [spec.name, spec.fqn, spec.fqn.lstrip("/")]
    for key in keys:
        block = data.get(key)
        if isinstance(block, dict):
            params = block.get("ros__parameters")
            if not isinstance(params, dict):
                raise BringupError(f"{path}: key {key!r} has no 'ros__parameters' mapping")
            out.update(params)
    return out


def build_graph(args: ReplayArgs) -> list[NodeSpec]:
    """The replay graph for ``args`` (call on ``args.resolved()``), in start order."""
    calib = {"calibration": args.calibration}
    specs: list[NodeSpec] = []
    if args.mock:
        specs.append(
            NodeSpec(
                package="maniptrans_sim",
                executable="mock_rig",
                name="mock_rig",
                parameters=(
                    config_file("mock_rig"),
                    {
                        "params_out": args.endpoints_file,
                        "speed": args.mock_speed,
                        "task_path": args.task if not _is_bag(args.task) else "",
                        "hand_dir": str(Path(args.run_dir) / "hands"),
                    },
                ),
                role=ROLE_MOCK,
                nice=DEVICE_LOOP_NICE,
            )
        )
    description_pub = NodeSpec(
        package="maniptrans_description",
        executable="description_publisher",
        name="description_publisher",
        parameters=(calib,),
        role=ROLE_DESCRIPTION,
    )
    specs.append(
        NodeSpec(
            package="robot_state_publisher",
            executable="robot_state_publisher",
            name="robot_state_publisher",
            parameters=({"robot_description": rig_urdf_text()},),
            role=ROLE_DESCRIPTION,
            fallback=description_pub,
        )
    )
    if args.record:
        rec_yaml = config_file("bag_recorder")
        topics = list(read_params_file(rec_yaml).get("topics", []))
        topics += [t for t in task_object_topics(args.task) if t not in topics]
        specs.append(
            NodeSpec(
                package=PACKAGE,
                executable="bag_recorder",
                name="bag_recorder",
                parameters=(
                    rec_yaml,
                    {"output": args.bag, "storage": args.storage, "topics": topics},
                ),
                role=ROLE_RECORDER,
                nice=RECORDER_NICE,
            )
        )
    endpoints = (args.endpoints_file,) if args.mock else ()
    for side in SIDES:
        specs.append(
            NodeSpec(
                package="realman_inspire_driver",
                executable="realman_driver",
                name=f"{side}_realman_driver",
                parameters=(config_file("realman_driver"), {"side": side}, *endpoints),
                role=ROLE_DRIVER,
                nice=DEVICE_LOOP_NICE,
                needs_file=args.endpoints_file if args.mock else None,
            )
        )
        specs.append(
            NodeSpec(
                package="realman_inspire_driver",
                executable="inspire_driver",
                name=f"{side}_inspire_driver",
                parameters=(config_file("inspire_driver"), {"side": side}, *endpoints),
                role=ROLE_DRIVER,
                nice=DEVICE_LOOP_NICE,
                needs_file=args.endpoints_file if args.mock else None,
            )
        )
    for side in SIDES:
        specs.append(
            NodeSpec(
                package="maniptrans_retarget",
                executable="arm_ik",
                name=f"{side}_arm_ik",
                parameters=(config_file("arm_ik"), {"side": side, **calib}),
            )
        )
        specs.append(
            NodeSpec(
                package="maniptrans_retarget",
                executable="hand_retarget",
                name=f"{side}_hand_retarget",
                parameters=(config_file("hand_retarget"), {"side": side}),
            )
        )
    specs.append(
        NodeSpec(
            package="maniptrans_sim",
            executable="trajectory_player",
            name="trajectory_player",
            parameters=(
                config_file("trajectory_player"),
                {
                    "task": args.task,
                    "rollout": args.rollout,
                    "rate_scale": args.rate,
                    "loop": args.loop,
                    "exit_on_end": not args.loop,
                },
            ),
            role=ROLE_PLAYER,
        )
    )
    return specs


def _is_bag(task: str) -> bool:
    from maniptrans_sim.player_source import is_bag

    return bool(task) and is_bag(task)


def task_object_topics(task: str) -> list[str]:
    """``/sim/objects/<name>/pose`` topics the task will publish (so the recorder subscribes
    before the first frame instead of discovering them); [] when unknown."""
    try:
        from maniptrans_sim.player_source import is_bag, object_name, object_topic
        from maniptrans_sim.task_file import SUFFIX, load_seq_info

        if not task or is_bag(task):
            return []
        info = load_seq_info(task)
        names = {object_name(getattr(info, f"oid_{SUFFIX[s]}"), s) for s in info.sides}
        return sorted(object_topic(n) for n in names)
    except Exception:  # a bad task is reported by the pre-flight check, not here
        return []


def rig_urdf_text() -> str:
    """The rig URDF for robot_state_publisher ("" while the description is not installed)."""
    try:
        from maniptrans_description.paths import urdf_path

        return Path(urdf_path("bimanual_rig")).read_text()
    except Exception:  # description missing: robot_state_publisher is skipped here anyway
        return ""


def graph_keys(specs: Sequence[NodeSpec]) -> list[tuple[str, str, str, str]]:
    """Sorted identity of a graph, for comparing the runner's graph with the launch file's."""
    return sorted(s.key() for s in specs)


@dataclass(frozen=True)
class GraphSummary:
    """What a user sees with ``maniptrans-replay --print-graph``."""

    specs: tuple[NodeSpec, ...] = field(default_factory=tuple)

    def lines(self) -> list[str]:
        out = []
        for s in self.specs:
            params = ", ".join(
                os.path.basename(p) if isinstance(p, str) else "{" + ", ".join(p) + "}"
                for p in s.parameters
            )
            out.append(f"{s.fqn:28s} {s.package}/{s.executable:22s} [{s.role}] {params}")
        return out


__all__ = [
    "SIDES",
    "STOP_ORDER",
    "GraphSummary",
    "NodeSpec",
    "ReplayArgs",
    "build_graph",
    "config_file",
    "default_task",
    "graph_keys",
    "parse_cli_args",
    "read_params_file",
    "share_dir",
]
