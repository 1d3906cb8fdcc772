"""`make setup`'s decisions, read from its pure logic (no ROS is installed to test them)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "workspace_setup", ROOT / "tools/workspace_setup.py"
)
ws = importlib.util.module_from_spec(_spec)
sys.modules["workspace_setup"] = ws
_spec.loader.exec_module(ws)

REQS = (ROOT / "requirements.txt").read_text()


def test_without_ros_distro_the_jazzy_wheels_are_installed():
    plan = ws.make_plan({}, REQS)
    assert plan.ros_source == "wheels" and plan.ros_distro == "jazzy"
    assert not plan.system_site_packages
    assert any(line.startswith("ros-jazzy-rclpy") for line in plan.requirement_lines)
    assert plan.ros_setup_script is None


@pytest.mark.parametrize("distro", ["humble", "jazzy"])
def test_a_sourced_system_ros_is_used_instead_of_the_wheels(distro):
    plan = ws.make_plan({"ROS_DISTRO": distro}, REQS)
    assert plan.ros_source == "system" and plan.ros_distro == distro
    assert plan.system_site_packages  # the venv must see /opt/ros's Python packages
    assert not any(line.startswith("ros-") for line in plan.requirement_lines)
    assert plan.ros_setup_script == f"/opt/ros/{distro}/setup.bash"
    assert any("system ROS 2" in n for n in plan.notes)
    env_sh = ws.env_script(plan)
    assert f'. "/opt/ros/{distro}/setup.bash"' in env_sh
    assert 'AMENT_PREFIX_PATH="$AMENT_PREFIX_PATH:$VIRTUAL_ENV"' not in env_sh


def test_humble_gets_the_humble_spelling_of_localhost_only_discovery():
    assert "ROS_LOCALHOST_ONLY" in ws.env_script(ws.make_plan({"ROS_DISTRO": "humble"}, REQS))
    assert "ROS_AUTOMATIC_DISCOVERY_RANGE=" in ws.env_script(ws.make_plan({}, REQS))


def test_an_unknown_ros_distro_is_refused_with_the_choices():
    with pytest.raises(ws.SetupError, match="humble, jazzy"):
        ws.make_plan({"ROS_DISTRO": "foxy"}, REQS)


def test_every_requirement_is_pinned_exactly():
    blocks = ws.parse_blocks(REQS)
    assert set(blocks) == {"runtime", "training", "build", "test", "ros-wheels"}
    for name, lines in blocks.items():
        assert lines, f"block {name} is empty"
        for line in lines:
            assert "==" in line, f"unpinned requirement in block {name}: {line}"


def test_the_robot_profile_installs_no_torch_and_no_test_tools():
    dev = ws.make_plan({}, REQS, "dev").requirement_lines
    robot = ws.make_plan({}, REQS, "robot").requirement_lines
    assert any(line.startswith("torch==") for line in dev)
    assert any(line.startswith("pytest==") for line in dev)
    assert not any(line.startswith(("torch==", "pytest==", "ray==")) for line in robot)
    for needed in ("rclpy", "pin==", "mujoco==", "pymodbus==", "colcon-ros=="):
        assert any(needed in line for line in robot), needed
    with pytest.raises(ws.SetupError, match="dev, robot"):
        ws.make_plan({}, REQS, "laptop")


def test_a_requirement_outside_any_block_is_refused():
    with pytest.raises(ws.SetupError, match="before any"):
        ws.parse_blocks("numpy==2.0\n# --- runtime: x\nscipy==1.0\n")


def test_the_ros_packages_do_not_need_torch():
    # torch belongs to training/; a robot PC installs the ROS packages without it.
    for pkg in (ROOT / "ros2_ws" / "src").iterdir():
        for f in pkg.rglob("*.py"):
            text = f.read_text()
            assert "import torch" not in text and "from torch" not in text, f
        assert "torch" not in (pkg / "package.xml").read_text()
