"""Fixtures shared by the whole suite: ROS domains, node processes, an in-test rclpy peer.

    def test_something(launch_node, ros_node):
        node = launch_node("hand_retarget", package="maniptrans_retarget",
                           params={"side": "left"}, wait_topics=["/left/hand/command"])
        pub = ros_node.node.create_publisher(JointState, "/sim/left/hand/joint_states", 10)
        ...

``launch_node`` starts the executable as its own process group in this test's ROS domain, waits
until ``wait_topics`` have a publisher (failing with the node's log if it dies or times out), and
terminates every process it started when the test ends, pass or fail. When a test fails, the logs
of its nodes are appended to the report.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ros_harness import NodeProcess, RosPeer, next_domain_id, start_node

TESTS_DIR = Path(__file__).resolve().parent


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)
    if rep.when == "call" and rep.failed:
        for proc in getattr(item, "_node_processes", []):
            rep.sections.append((f"node {proc.executable}", proc.describe(tail_lines=200)))


@pytest.fixture
def ros_domain() -> int:
    """A ROS_DOMAIN_ID of this test's own (node processes and ``ros_node`` share it)."""
    return next_domain_id()


@pytest.fixture
def ros_node(ros_domain: int) -> Iterator[RosPeer]:
    """An rclpy node in the test process on the test's domain, spun in a background thread."""
    pytest.importorskip("rclpy")
    peer = RosPeer(ros_domain)
    try:
        yield peer
    finally:
        peer.close()


@pytest.fixture
def launch_node(
    request: pytest.FixtureRequest, ros_domain: int, ros_node: RosPeer, tmp_path: Path
) -> Iterator[Callable[..., NodeProcess]]:
    """Factory: ``launch_node(executable, package=None, args=(), params=None, remaps=None,
    params_file=None, name=None, env=None, wait_topics=(), timeout=20.0) -> NodeProcess``."""
    started: list[NodeProcess] = []
    request.node._node_processes = started

    def _launch(
        executable: str,
        *,
        wait_topics: tuple[str, ...] | list[str] = (),
        timeout: float = 20.0,
        **kwargs,
    ) -> NodeProcess:
        proc = start_node(executable, domain_id=ros_domain, log_dir=tmp_path / "logs", **kwargs)
        started.append(proc)
        if wait_topics:
            ros_node.wait_topics(wait_topics, timeout=timeout, node=proc)
        return proc

    try:
        yield _launch
    finally:
        for proc in reversed(started):
            proc.terminate()
