"""description_publisher: the pure description source and the node as a real process."""

from __future__ import annotations

import threading

import pytest
import yaml

from maniptrans_description.description_source import robot_description
from maniptrans_description.errors import DescriptionError
from maniptrans_description.paths import config_path, urdf_path


def moved_rig(tmp_path, y=0.45):
    doc = yaml.safe_load(config_path("rig.yaml").read_text())
    doc["arms"]["left"]["base"]["xyz"] = [0.0, y, 0.0]
    path = tmp_path / "my_rig.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_default_description_is_the_committed_rig_urdf():
    assert robot_description() == urdf_path("bimanual_rig").read_text()


def test_a_rig_yaml_rebuilds_the_rig_with_that_calibration(tmp_path):
    text = robot_description("bimanual_rig", moved_rig(tmp_path))
    assert text != robot_description()
    assert '<joint name="left_arm_mount" type="fixed">' in text
    assert 'xyz="0 0.45 0"' in text


def test_bad_model_or_misapplied_rig_yaml_is_refused(tmp_path):
    with pytest.raises(DescriptionError, match="unknown model 'rm65'"):
        robot_description("rm65")
    with pytest.raises(DescriptionError, match="only to model 'bimanual_rig'"):
        robot_description("rm75_b", moved_rig(tmp_path))


rclpy = pytest.importorskip("rclpy")


def latched_description(ros_node, topic="/robot_description", timeout=15.0):
    """Subscribe late, with transient-local QoS, and return the first message's text."""
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
    from std_msgs.msg import String

    qos = QoSProfile(
        depth=1,
        reliability=ReliabilityPolicy.RELIABLE,
        durability=DurabilityPolicy.TRANSIENT_LOCAL,
    )
    got: list[str] = []
    done = threading.Event()

    def on_msg(msg: String) -> None:
        got.append(msg.data)
        done.set()

    sub = ros_node.node.create_subscription(String, topic, on_msg, qos)
    try:
        assert done.wait(timeout), f"no message on {topic} within {timeout} s"
    finally:
        ros_node.node.destroy_subscription(sub)
    return got[0]


@pytest.mark.ros
def test_node_latches_the_rig_urdf_for_late_subscribers(launch_node, ros_node):
    node = launch_node(
        "description_publisher",
        package="maniptrans_description",
        wait_topics=["/robot_description"],
    )
    assert latched_description(ros_node) == urdf_path("bimanual_rig").read_text()
    assert node.alive()


@pytest.mark.ros
def test_node_publishes_the_rig_of_a_given_calibration_file(launch_node, ros_node, tmp_path):
    launch_node(
        "description_publisher",
        package="maniptrans_description",
        params={"rig_yaml": str(moved_rig(tmp_path, y=0.5))},
        wait_topics=["/robot_description"],
    )
    assert 'xyz="0 0.5 0"' in latched_description(ros_node)


@pytest.mark.ros
def test_node_exits_with_a_message_on_an_unknown_model(launch_node):
    from ros_harness import wait_for

    node = launch_node(
        "description_publisher", package="maniptrans_description", params={"model": "rm65"}
    )
    wait_for(lambda: not node.alive(), 15.0, "the node to exit")
    assert node.returncode == 2
    assert "unknown model 'rm65'" in node.log()
