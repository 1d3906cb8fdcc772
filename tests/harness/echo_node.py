"""Test infrastructure: republish every JointState from ``in`` on ``out`` unchanged.

Run as its own process by the harness tests; it exists only to prove real rclpy/DDS between
processes. ``--fail`` makes it exit at once with an error (to test failure reporting).
"""

from __future__ import annotations

import sys

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import JointState


class EchoNode(Node):
    def __init__(self) -> None:
        super().__init__("echo")
        qos = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
        self.pub = self.create_publisher(JointState, "out", qos)
        self.sub = self.create_subscription(JointState, "in", self.pub.publish, qos)
        self.get_logger().info("echo node up: in -> out")


def main(args: list[str] | None = None) -> None:
    if "--fail" in sys.argv:
        print("echo_node: refusing to start (--fail given): simulated configuration error")
        sys.exit(3)
    rclpy.init(args=args)
    node = EchoNode()
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
