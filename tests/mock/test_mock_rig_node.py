"""The ``mock_rig`` node as a process: endpoints file, ground-truth topics, run-time faults."""

from __future__ import annotations

import json
import socket
import time

import pytest
import yaml

pytestmark = pytest.mark.ros


def wait_until(pred, timeout: float = 10.0) -> bool:
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def test_mock_rig_node_serves_endpoints_publishes_truth_and_takes_faults(
    launch_node, ros_node, tmp_path
) -> None:
    from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
    from rcl_interfaces.srv import SetParameters
    from sensor_msgs.msg import JointState
    from std_msgs.msg import String

    params_out = tmp_path / "drivers.yaml"
    launch_node(
        "mock_rig",
        package="maniptrans_sim",
        params={
            "model": "first_order",
            "left_arm_port": 0,
            "right_arm_port": 0,
            "hand_dir": str(tmp_path / "hands"),
            "params_out": str(params_out),
            "publish_rate": 50.0,
        },
        wait_topics=["/mock/left/arm/joint_states", "/mock/right/hand/joint_states"],
        timeout=30.0,
    )
    arm_msgs: list[JointState] = []
    faults: list[dict] = []
    ros_node.node.create_subscription(
        JointState, "/mock/left/arm/joint_states", arm_msgs.append, 10
    )
    ros_node.node.create_subscription(
        String, "/mock/faults", lambda m: faults.append(json.loads(m.data)), 10
    )
    assert wait_until(params_out.exists)
    doc = yaml.safe_load(params_out.read_text())
    port = doc["left_realman_driver"]["ros__parameters"]["port"]
    assert (tmp_path / "hands" / "left_hand").is_symlink()
    assert doc["left_inspire_driver"]["ros__parameters"]["port"] == str(
        tmp_path / "hands/left_hand"
    )

    # a motion commanded on the wire appears on the ground-truth topic
    with socket.create_connection(("127.0.0.1", port), timeout=2.0) as sock:
        cmd = {"command": "movej", "v": 80, "joint": [20000, 0, 0, 0, 0, 0, 0]}
        sock.sendall(json.dumps(cmd).encode() + b"\r\n")
        assert b'"receive_state":true' in sock.recv(4096)
        assert wait_until(lambda: arm_msgs and abs(arm_msgs[-1].position[0] - 0.349) < 0.01)
    assert arm_msgs[-1].name[0] == "left_arm_joint_1"

    # a fault set at run time through the node's parameter is applied and published
    client = ros_node.node.create_client(SetParameters, "/mock_rig/set_parameters")
    assert client.wait_for_service(timeout_sec=10.0)
    value = ParameterValue(
        type=ParameterType.PARAMETER_STRING, string_value="left_arm:error=0x100D"
    )
    future = client.call_async(
        SetParameters.Request(parameters=[Parameter(name="inject", value=value)])
    )
    assert wait_until(future.done)
    assert future.result().results[0].successful
    assert wait_until(lambda: any(f["kind"] == "error:armed" for f in faults))
    with socket.create_connection(("127.0.0.1", port), timeout=2.0) as sock:
        sock.sendall(b'{"command":"get_current_arm_state"}\r\n')
        reply = json.loads(sock.recv(4096))
    assert reply["arm_state"]["err"] == [0x100D]
