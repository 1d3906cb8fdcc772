"""What every node process shares: read-only parameters, stopping on a flag set by a signal."""

from __future__ import annotations

import os
import signal
import time

import pytest

pytestmark = pytest.mark.ros


def test_read_only_parameters_refuse_a_change_and_name_it(ros_node):
    from rclpy.parameter import Parameter

    from maniptrans_description.node_runtime import read_only_parameters

    node = ros_node.node
    node.declare_parameter("rate_hz", 100.0)
    read_only_parameters(node, "driver parameters")
    (result,) = node.set_parameters([Parameter("rate_hz", value=50.0)])
    assert not result.successful
    assert result.reason == "driver parameters are read at start; restart to change rate_hz"
    assert node.get_parameter("rate_hz").value == 100.0


def test_spin_until_returns_on_the_stop_flag_a_signal_sets(ros_domain):
    # in a child process: init_ros installs handlers that only set the flag, so SIGINT ends
    # the spin without raising, and the context is still ours to shut down
    import subprocess
    import sys

    code = (
        "import rclpy, time\n"
        "from rclpy.executors import SingleThreadedExecutor\n"
        "from maniptrans_description.node_runtime import init_ros, spin_until\n"
        "stop = init_ros()\n"
        "node = rclpy.create_node('spin_probe')\n"
        "ex = SingleThreadedExecutor(); ex.add_node(node)\n"
        "print('spinning', flush=True)\n"
        "spin_until(ex, stop)\n"
        "print('stopped', rclpy.ok(), flush=True)\n"
        "ex.shutdown(); node.destroy_node(); rclpy.try_shutdown()\n"
    )
    env = dict(os.environ, ROS_DOMAIN_ID=str(ros_domain))
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout.readline().strip() == "spinning"
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert out.strip() == "stopped True"  # the flag ended the spin, not a context shutdown


def _signalled_child(code: str, ros_domain: int):
    """A Python child running ``code`` (which prints "up" once its handlers are in), sent
    SIGINT after that."""
    import subprocess
    import sys

    env = dict(os.environ, ROS_DOMAIN_ID=str(ros_domain))
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout.readline().strip() == "up"
    proc.send_signal(signal.SIGINT)
    return proc


def test_a_node_stuck_after_sigint_prints_where_it_is_stuck(ros_domain):
    # the runner terminates a node that has not stopped 5 s after SIGINT; before that, the
    # node's log gets every thread's stack, so the hang can be found
    from maniptrans_description.node_runtime import STUCK_AFTER_S

    code = (
        "import time\n"
        "from maniptrans_description.node_runtime import init_ros\n"
        "stop = init_ros()\n"
        "def wedged_close():\n"
        "    time.sleep(30)\n"
        "print('up', flush=True)\n"
        "stop.wait()\n"
        "wedged_close()\n"
    )
    proc = _signalled_child(code, ros_domain)
    time.sleep(STUCK_AFTER_S + 1.5)
    proc.kill()
    _, err = proc.communicate(timeout=10)
    assert "Timeout (0:00:04)!" in err
    assert "in wedged_close" in err


def test_a_node_that_stops_in_time_prints_no_stack(ros_domain):
    code = (
        "from maniptrans_description.node_runtime import init_ros\n"
        "stop = init_ros()\n"
        "print('up', flush=True)\n"
        "stop.wait()\n"
    )
    proc = _signalled_child(code, ros_domain)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "Timeout (" not in err, err  # the stack-dump header


def test_a_fixed_schedule_keeps_its_slots_and_restarts_when_a_period_behind():
    from maniptrans_description.node_runtime import next_due

    assert next_due(1.0, 1.0, 0.5) == 1.5
    assert next_due(1.0, 1.3, 0.5) == 1.5  # a late wake-up does not push the next slot back
    assert next_due(1.0, 1.5, 0.5) == 2.0  # a whole period behind: from now, no burst
    assert next_due(1.0, 2.7, 0.5) == 3.2
