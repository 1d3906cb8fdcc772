"""Inspire RH56 hand: register map, transports and client (pure, no rclpy)."""
