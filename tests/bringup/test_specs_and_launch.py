"""The node specs: one graph definition for the runner and the launch file."""

from __future__ import annotations

import pytest

from maniptrans_bringup.errors import BringupError
from maniptrans_bringup.specs import (
    NodeSpec,
    ReplayArgs,
    build_graph,
    graph_keys,
    parse_cli_args,
    read_params_file,
)


def _graph(**kw):
    args = ReplayArgs(task="/data/seq_bih", bag="/tmp/b", run_dir="/tmp/run", **kw)
    return {s.name: s for s in build_graph(args)}


def test_graph_holds_the_whole_replay_with_mock_and_recorder():
    g = _graph()
    expected = {
        "mock_rig",
        "robot_state_publisher",
        "bag_recorder",
        "trajectory_player",
        *(
            f"{side}_{n}"
            for side in ("left", "right")
            for n in ("hand_retarget", "arm_ik", "realman_driver", "inspire_driver")
        ),
    }
    assert set(g) == expected
    assert g["robot_state_publisher"].fallback.executable == "description_publisher"
    assert g["robot_state_publisher"].package == "robot_state_publisher"


def test_drivers_get_the_mock_endpoints_after_their_own_yaml():
    g = _graph()
    drv = g["left_inspire_driver"]
    assert drv.needs_file == "/tmp/run/mock_endpoints.yaml"
    assert drv.parameters[-1] == "/tmp/run/mock_endpoints.yaml"
    assert drv.parameters[0].endswith("inspire_driver.yaml")
    assert g["mock_rig"].merged_parameters()["params_out"] == drv.needs_file


def test_without_mock_the_drivers_use_their_hardware_parameters():
    g = _graph(mock=False)
    assert "mock_rig" not in g
    drv = g["right_realman_driver"]
    assert drv.needs_file is None
    params = drv.merged_parameters()
    assert params["side"] == "right"
    assert params["port"] == 8080 and params["host"]


def test_device_loops_run_before_the_pipeline_and_the_recorder_after_it(tmp_path):
    from maniptrans_bringup.procs import command_line

    g = _graph()
    nice = {name: spec.nice for name, spec in g.items()}
    for name in ("mock_rig", "left_realman_driver", "right_inspire_driver"):
        assert nice[name] < nice["trajectory_player"] == nice["left_arm_ik"] == 0
    assert nice["bag_recorder"] > 0
    argv = command_line(g["bag_recorder"], "/x/bag_recorder", tmp_path)
    assert argv[:4] == ["nice", "-n", str(nice["bag_recorder"]), "/x/bag_recorder"]
    assert command_line(g["left_arm_ik"], "/x/arm_ik", tmp_path)[0] == "/x/arm_ik"


def test_record_false_drops_the_recorder_and_rate_reaches_the_player():
    g = _graph(record=False, rate=0.5, loop=True)
    assert "bag_recorder" not in g
    p = g["trajectory_player"].merged_parameters()
    assert p["rate_scale"] == 0.5 and p["loop"] is True and p["exit_on_end"] is False
    assert p["task"] == "/data/seq_bih"


def test_calibration_reaches_arm_ik_and_sides_are_one_code_path():
    g = _graph(calibration="/cal/rig.yaml")
    for side in ("left", "right"):
        p = g[f"{side}_arm_ik"].merged_parameters()
        assert p["side"] == side and p["calibration"] == "/cal/rig.yaml"


def test_launch_arguments_parse_and_bad_values_name_the_argument():
    vals = parse_cli_args(["task:=/x", "mock:=false", "rate:=2"])
    args = ReplayArgs.from_strings(vals)
    assert (args.task, args.mock, args.rate) == ("/x", False, 2.0)
    with pytest.raises(BringupError, match="rate"):
        ReplayArgs.from_strings({"rate": "fast"})
    with pytest.raises(BringupError, match="mock"):
        ReplayArgs.from_strings({"mock": "maybe"})
    with pytest.raises(BringupError, match="unknown argument"):
        ReplayArgs.from_strings({"tsak": "/x"})
    with pytest.raises(BringupError, match="name:=value"):
        parse_cli_args(["task=/x"])


def test_params_files_apply_wildcard_then_node_name(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(
        "/**:\n  ros__parameters: {a: 1, b: 1}\n"
        "left_x:\n  ros__parameters: {b: 2}\n"
        "right_x:\n  ros__parameters: {b: 3}\n"
    )
    assert read_params_file(str(f), NodeSpec("p", "e", "left_x")) == {"a": 1, "b": 2}
    f.write_text("/**:\n  params: {}\n")
    with pytest.raises(BringupError, match="ros__parameters"):
        read_params_file(str(f), NodeSpec("p", "e", "left_x"))


def test_every_shipped_parameter_file_parses():
    for spec in build_graph(ReplayArgs(task="/t", bag="/b", run_dir="/r")):
        spec_params = [p for p in spec.parameters if isinstance(p, str) and "/r/" not in p]
        for path in spec_params:
            assert isinstance(read_params_file(path, spec), dict)


def test_launch_file_builds_the_same_graph_as_the_runner():
    pytest.importorskip(
        "launch_ros",
        reason="launch_ros is not installable here (no ROS 2 install, not on PyPI); this test "
        "runs on a machine with a sourced ROS 2",
    )
    from maniptrans_bringup.launch_graph import action_keys, launch_actions

    for kw in ({}, {"mock": False}, {"record": False}):
        specs = build_graph(ReplayArgs(task="/t", bag="/b", run_dir="/r", **kw))
        assert action_keys(launch_actions(specs)) == graph_keys(specs)


def test_launch_file_declares_every_runner_argument():
    pytest.importorskip(
        "launch_ros",
        reason="launch_ros is not installable here (no ROS 2 install, not on PyPI); this test "
        "runs on a machine with a sourced ROS 2",
    )
    import importlib.util

    from launch.actions import DeclareLaunchArgument

    from maniptrans_bringup.launch_graph import launch_arguments
    from maniptrans_bringup.specs import share_dir

    path = share_dir() / "launch" / "replay.launch.py"
    spec = importlib.util.spec_from_file_location("replay_launch", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    ld = mod.generate_launch_description()
    declared = {e.name for e in ld.entities if isinstance(e, DeclareLaunchArgument)}
    assert declared == set(launch_arguments())
    assert {"task", "mock", "record", "rate", "calibration"} <= declared


def test_launch_arguments_match_the_replay_args_fields():
    from maniptrans_bringup.launch_graph import launch_arguments

    args = launch_arguments()
    assert args["mock"] == "true" and args["rate"] == "1.0"
    assert ReplayArgs.from_strings(args).rate == 1.0


def test_recorder_subscribes_to_the_tasks_object_topics_from_the_start(tmp_path):
    from task_factory import write_task

    seq = write_task(tmp_path, 5, oid="mug 2")
    args = ReplayArgs(task=str(seq), bag="/b", run_dir="/r")
    rec = {s.name: s for s in build_graph(args)}["bag_recorder"]
    topics = rec.merged_parameters()["topics"]
    assert "/sim/objects/mug_2/pose" in topics
    assert "/left/arm/joint_states" in topics and "/diagnostics" in topics
