"""``mock_rig_headless``: the sim-mocked bridge without ROS (prints endpoints, writes parameters).

    mock_rig_headless [--speed 5] [--model first_order] [--arm-ports 0 0] [--hand-dir DIR]
                      [--fault left_arm:drop=0.1 ...] [--params-out FILE] [--duration S]

The ROS node ``mock_rig`` (`maniptrans_sim.mock.mock_rig_node`) takes the same settings as
parameters and also publishes the ground truth. Both build a `MockRigConfig` through
`config_from_mapping`, the one place that knows the settings' names.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

from maniptrans_sim.mock.errors import MockRigError
from maniptrans_sim.mock.rig import DEFAULT_ARM_PORTS, MockRig, MockRigConfig
from maniptrans_sim.mock.twin import ObjectSpec

# setting name -> (default, help); the node declares exactly these as parameters
SETTINGS: dict[str, tuple[Any, str]] = {
    "model": ("twin", "'twin' (MuJoCo rig) or 'first_order'"),
    "model_path": ("", "twin model file (empty: the description's rig)"),
    "speed": (1.0, "simulated seconds per wall second (0: as fast as possible)"),
    "host": ("127.0.0.1", "address the arm controllers and Modbus TCP bind to"),
    "left_arm_port": (DEFAULT_ARM_PORTS["left"], "left RealMan TCP port (0: any free port)"),
    "right_arm_port": (DEFAULT_ARM_PORTS["right"], "right RealMan TCP port (0: any free port)"),
    "hand_dir": ("/tmp/maniptrans", "the hands' serial ports appear as <hand_dir>/<side>_hand"),
    "hand_protocol": ("modbus_rtu", "'modbus_rtu' or 'native'"),
    "hand_baudrate": (115200, "serial baud rate [bit/s]"),
    "pace_bytes": (False, "deliver serial bytes no faster than the baud rate"),
    "hand_tcp": (False, "also serve each hand on Modbus TCP (Ethernet variant)"),
    "faults": ([""], "faults armed at start, e.g. 'left_arm:drop=0.1'"),
    "fault_log": ("", "JSON-lines file of fault events (empty: none)"),
    "params_out": ("", "write the drivers' parameter YAML here (empty: do not)"),
    "task_path": ("", "transferred task whose object is placed in the twin (empty: none)"),
    "object_size": (0.03, "half-extent of the task object's box stand-in [m]"),
    "driver_timeout": (0.15, "reply deadline written for the drivers [s] (emulators are slower)"),
}


def config_from_mapping(values: Mapping[str, Any]) -> MockRigConfig:
    """A `MockRigConfig` from setting values (missing keys take the defaults of `SETTINGS`)."""
    unknown = set(values) - set(SETTINGS)
    if unknown:
        raise MockRigError(
            f"unknown mock_rig settings {sorted(unknown)}; known: {sorted(SETTINGS)}"
        )
    v = {k: values.get(k, d) for k, (d, _) in SETTINGS.items()}
    objects: tuple[ObjectSpec, ...] = ()
    if v["task_path"]:
        from maniptrans_sim.mock.task_object import task_objects

        objects = task_objects(v["task_path"], half_extent=float(v["object_size"]))
    return MockRigConfig(
        model=str(v["model"]),
        model_path=str(v["model_path"]) or None,
        speed=float(v["speed"]),
        host=str(v["host"]),
        arm_ports={"left": int(v["left_arm_port"]), "right": int(v["right_arm_port"])},
        hand_dir=str(v["hand_dir"]),
        hand_protocol=str(v["hand_protocol"]),
        hand_baudrate=int(v["hand_baudrate"]),
        pace_bytes=bool(v["pace_bytes"]),
        hand_tcp=bool(v["hand_tcp"]),
        faults=tuple(f for f in v["faults"] if f),
        fault_log=str(v["fault_log"]) or None,
        objects=objects,
        driver_timeout=float(v["driver_timeout"]),
    )


def parse_args(argv: list[str] | None) -> dict[str, Any]:
    """Command-line flags -> setting values (only those given)."""
    p = argparse.ArgumentParser(prog="mock_rig_headless", description=__doc__.splitlines()[0])
    for name, (default, text) in SETTINGS.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(default, bool):
            p.add_argument(flag, dest=name, action="store_true", default=None, help=text)
        elif isinstance(default, list):
            p.add_argument(flag.rstrip("s"), dest=name, action="append", help=text)
        else:
            p.add_argument(flag, dest=name, type=type(default), help=text)
    p.add_argument("--duration", type=float, default=0.0, help="exit after this many seconds")
    args = vars(p.parse_args(argv))
    duration = args.pop("duration")
    values = {k: val for k, val in args.items() if val is not None}
    values["_duration"] = duration
    return values


def main(argv: list[str] | None = None) -> int:
    """Run the bridge until Ctrl-C, SIGTERM or ``--duration``."""
    values = parse_args(argv)
    duration = values.pop("_duration")
    try:
        rig = MockRig(config_from_mapping(values))
        rig.start()
    except MockRigError as exc:
        print(f"mock_rig: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        print(rig.describe(), flush=True)
        if values.get("params_out"):
            print(f"driver parameters: {rig.write_parameters(values['params_out'])}", flush=True)
        t_end = time.monotonic() + duration if duration > 0 else float("inf")
        while not stop.is_set() and time.monotonic() < t_end:
            stop.wait(0.2)
            if rig.runner.error is not None:
                print(f"mock_rig: twin stopped: {rig.runner.error!r}", file=sys.stderr)
                return 1
    except KeyboardInterrupt:
        pass
    finally:
        rig.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
