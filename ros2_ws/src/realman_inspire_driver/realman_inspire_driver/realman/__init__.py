"""RealMan arm controller client over TCP (pure, no rclpy)."""
