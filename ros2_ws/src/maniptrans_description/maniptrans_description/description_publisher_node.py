"""``description_publisher``: the rig URDF on ``robot_description`` (std_msgs/String, latched).

Parameters (read once at start):
    model (str, "bimanual_rig"): which generated model to publish (``paths.MODEL_NAMES``).
    rig_yaml (str, ""): a rig calibration file; when set, the rig URDF is built from it instead
        of the committed file (a robot PC's own calibration).

The topic is relative (``robot_description``) and published once with reliable,
transient-local QoS (depth 1), so RViz and robot_state_publisher started later still get it.
"""

from __future__ import annotations

import sys

import rclpy
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import String

from .description_source import robot_description
from .errors import DescriptionError

LATCHED = QoSProfile(
    depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL
)


class DescriptionPublisher(Node):
    """Publishes one robot description, latched, and keeps it available."""

    def __init__(self) -> None:
        super().__init__("description_publisher")
        read_only = ParameterDescriptor(read_only=True)
        model = self.declare_parameter("model", "bimanual_rig", read_only).value
        rig_yaml = self.declare_parameter("rig_yaml", "", read_only).value
        text = robot_description(str(model), str(rig_yaml) or None)
        self._publisher = self.create_publisher(String, "robot_description", LATCHED)
        self._publisher.publish(String(data=text))
        source = rig_yaml or "the generated URDF"
        self.get_logger().info(
            f"published {model} ({len(text)} characters, from {source}) on "
            f"{self._publisher.topic_name}"
        )


def main(args: list[str] | None = None) -> None:
    """Run the node until shutdown; exit status 2 on a bad model or calibration file."""
    rclpy.init(args=args)
    node = None
    try:
        node = DescriptionPublisher()
        rclpy.spin(node)
    except DescriptionError as exc:
        print(f"description_publisher: {exc}", file=sys.stderr)
        sys.exit(2)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
