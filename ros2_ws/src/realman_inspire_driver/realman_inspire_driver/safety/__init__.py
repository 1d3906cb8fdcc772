"""Safety layer shared by the arm and hand drivers (pure, no rclpy)."""
