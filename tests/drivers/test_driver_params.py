"""The shipped parameter files hold exactly the nodes' defaults, under a key any node name
matches (launch files rename the drivers per side)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

pytest.importorskip("rclpy")

from realman_inspire_driver import inspire_driver_node, realman_driver_node

CONFIG = Path(__file__).resolve().parents[2] / "ros2_ws/src/realman_inspire_driver/config"


@pytest.mark.parametrize(
    ("file", "module"),
    [("realman_driver.yaml", realman_driver_node), ("inspire_driver.yaml", inspire_driver_node)],
)
def test_the_shipped_yaml_equals_the_node_defaults(file, module):
    doc = yaml.safe_load((CONFIG / file).read_text())
    assert list(doc) == ["/**"]
    assert doc["/**"]["ros__parameters"] == module.PARAMETERS


def test_the_contract_defaults_are_the_ones_the_issue_names():
    arm, hand = realman_driver_node.PARAMETERS, inspire_driver_node.PARAMETERS
    assert (arm["host"], arm["port"], arm["rate_hz"]) == ("192.168.1.18", 8080, 100.0)
    assert (hand["port"], hand["baudrate"], hand["slave_id"]) == ("/dev/ttyUSB0", 115200, 1)
    assert (hand["protocol"], hand["rate_hz"]) == ("modbus_rtu", 50.0)
