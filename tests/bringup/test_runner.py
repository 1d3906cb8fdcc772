"""maniptrans-replay's process side, with stand-in node executables (real ones are in e2e):
prefixed logs, ordered clean shutdown, task end, failures, Ctrl-C, fallbacks, mock endpoints."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from task_factory import write_task

FAKE_NODE = """#!{python}
import os, signal, sys, time
args = sys.argv[1:]
name = args[args.index("-r") + 1].split(":=")[1]
files = [args[i + 1] for i, a in enumerate(args) if a == "--params-file"]
import yaml
params = {{}}
for f in files:
    for block in (yaml.safe_load(open(f)) or {{}}).values():
        params.update(block.get("ros__parameters") or {{}})
stop = []
signal.signal(signal.SIGINT, lambda *a: stop.append(1))
print(f"hello from {{name}} files={{len(files)}}", flush=True)
behaviour = os.environ.get("FAKE_" + name.upper(), "")
if "params_out" in params:
    text = "left_realman_driver:\\n  ros__parameters: {{port: 1}}\\n"
    open(params["params_out"], "w").write(text)
t0 = time.monotonic()
while not stop:
    time.sleep(0.02)
    if behaviour.startswith("exit") and time.monotonic() - t0 > 1.0:
        print(f"{{name}} exiting", flush=True)
        sys.exit(int(behaviour[4:]))
    if behaviour == "ignore_sigint":
        stop.clear()
print(f"bye from {{name}} at {{time.monotonic():.6f}}", flush=True)
"""

EXECUTABLES = {
    "maniptrans_sim": ["mock_rig", "trajectory_player"],
    "maniptrans_bringup": ["bag_recorder"],
    "maniptrans_description": ["description_publisher"],
    "maniptrans_retarget": ["arm_ik", "hand_retarget"],
    "realman_inspire_driver": ["realman_driver", "inspire_driver"],
}


@pytest.fixture
def fake_prefix(tmp_path: Path) -> Path:
    prefix = tmp_path / "prefix"
    for pkg, exes in EXECUTABLES.items():
        d = prefix / "lib" / pkg
        d.mkdir(parents=True)
        for exe in exes:
            f = d / exe
            f.write_text(FAKE_NODE.format(python=sys.executable))
            f.chmod(0o755)
    return prefix


def _run(fake_prefix, tmp_path, *tokens, env=None, wait=True, timeout=60):
    e = dict(os.environ)
    e.update(
        {
            "AMENT_PREFIX_PATH": str(fake_prefix),
            "MANIPTRANS_ROOT": str(tmp_path / "no_workspace"),
            "PATH": "/usr/bin:/bin",
        }
    )
    e.update(env or {})
    argv = [sys.executable, "-m", "maniptrans_bringup.runner", *tokens]
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=e, text=True, cwd=tmp_path
    )
    if wait:
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out
    return proc


def _args(tmp_path, seq, *extra):
    return (f"task:={seq}", f"bag:={tmp_path / 'bag'}", "preflight:=false", *extra)


def test_runner_runs_the_graph_until_the_task_ends_and_stops_in_order(fake_prefix, tmp_path):
    seq = write_task(tmp_path, 10)
    rc, out = _run(
        fake_prefix, tmp_path, *_args(tmp_path, seq), env={"FAKE_TRAJECTORY_PLAYER": "exit0"}
    )
    assert rc == 0, out
    for name in (
        "mock_rig",
        "left_arm_ik",
        "right_hand_retarget",
        "left_realman_driver",
        "right_inspire_driver",
        "bag_recorder",
        "trajectory_player",
    ):
        assert f"[{name}] hello from {name}" in out
    assert "robot_state_publisher/robot_state_publisher is not installed here" in out
    assert "[description_publisher] hello" in out
    assert "task ended" in out
    # the recorder stops after every pipeline node and driver, the mock last
    bye = {
        ln.split("]")[0][1:]: float(ln.rsplit(" ", 1)[1])
        for ln in out.splitlines()
        if " bye from " in ln
    }
    assert bye["bag_recorder"] > max(bye["left_arm_ik"], bye["right_realman_driver"])
    assert bye["mock_rig"] >= bye["bag_recorder"]


def test_runner_exits_nonzero_and_names_the_node_that_failed(fake_prefix, tmp_path):
    seq = write_task(tmp_path, 10)
    rc, out = _run(fake_prefix, tmp_path, *_args(tmp_path, seq), env={"FAKE_LEFT_ARM_IK": "exit3"})
    assert rc == 1, out
    assert "left_arm_ik exited with code 3" in out
    assert "[bag_recorder] bye from bag_recorder" in out  # the rest was stopped cleanly


def test_runner_stops_everything_on_ctrl_c_and_exits_zero(fake_prefix, tmp_path):
    seq = write_task(tmp_path, 10)
    proc = _run(fake_prefix, tmp_path, *_args(tmp_path, seq, "mock:=false"), wait=False)
    deadline = time.monotonic() + 30
    seen = ""
    # every node has its SIGINT handler (it says hello after installing it); a node still
    # importing when Ctrl-C comes dies of KeyboardInterrupt without a goodbye, which is fine
    # for the runner but not what this test counts
    while seen.count("hello from") < 11 and time.monotonic() < deadline:
        seen += proc.stdout.readline()
    assert seen.count("hello from") == 11, seen
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    out = seen + out
    assert proc.returncode == 0, out
    assert "received SIGINT" in out
    assert "mock_rig" not in out
    assert out.count("bye from") == 11  # player, 4 pipeline, 4 drivers, recorder, description


def test_runner_reports_a_node_that_ignores_sigint_as_failed(fake_prefix, tmp_path):
    seq = write_task(tmp_path, 10)
    rc, out = _run(
        fake_prefix,
        tmp_path,
        *_args(tmp_path, seq, "mock:=false", "record:=false"),
        env={"FAKE_TRAJECTORY_PLAYER": "exit0", "FAKE_LEFT_HAND_RETARGET": "ignore_sigint"},
        timeout=90,
    )
    assert rc == 1, out
    assert "left_hand_retarget" in out.split("FAILED", 1)[1]


def test_runner_refuses_a_bad_task_before_starting_anything(fake_prefix, tmp_path):
    seq = write_task(tmp_path, 10)
    (seq / "rollouts.hdf5").write_bytes(b"not hdf5")
    rc, out = _run(fake_prefix, tmp_path, f"task:={seq}", f"bag:={tmp_path / 'bag'}")
    assert rc == 2, out
    assert "REFUSED" in out and "rollouts.hdf5" in out
    assert "hello from" not in out


def test_runner_names_a_missing_executable(fake_prefix, tmp_path):
    seq = write_task(tmp_path, 10)
    (fake_prefix / "lib" / "maniptrans_retarget" / "arm_ik").unlink()
    rc, out = _run(fake_prefix, tmp_path, *_args(tmp_path, seq))
    assert rc == 2
    assert "'arm_ik'" in out and "maniptrans_retarget" in out


def test_print_graph_lists_every_node(fake_prefix, tmp_path):
    seq = write_task(tmp_path, 10)
    rc, out = _run(fake_prefix, tmp_path, "--print-graph", *_args(tmp_path, seq))
    assert rc == 0
    assert len([ln for ln in out.splitlines() if ln.startswith("/")]) == 12


def test_runner_refuses_an_unreachable_task_before_starting_anything(fake_prefix, tmp_path):
    seq = write_task(tmp_path, 10)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    check = bin_dir / "maniptrans-check-reach"
    check.write_text(
        '#!/bin/sh\necho "right wrist: frame 7 unreachable (residual 0.12 m)"\nexit 1\n'
    )
    check.chmod(0o755)
    rc, out = _run(
        fake_prefix,
        tmp_path,
        f"task:={seq}",
        f"bag:={tmp_path / 'bag'}",
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
    )
    assert rc == 2, out
    assert "frame 7 unreachable" in out and "REFUSED" in out
    assert "hello from" not in out


COMPOSED = """
import sys
from maniptrans_bringup.procs import LineSink
from maniptrans_bringup.specs import ReplayArgs, build_graph, NodeSpec
from maniptrans_bringup.composed import run_composed
from dataclasses import replace
args = ReplayArgs(task=sys.argv[1], bag=sys.argv[2], run_dir=sys.argv[3], mock=False)
specs = [s for s in build_graph(args) if s.role in ("recorder", "player", "description")]
specs = [replace(s, parameters=(*s.parameters, {"wait_ready": False, "end_hold_s": 0.5}))
         if s.role == "player" else s for s in specs]
sys.exit(run_composed(specs, args, sink=LineSink(), startup_timeout=10))
"""


@pytest.mark.ros
def test_composed_mode_runs_node_classes_in_one_process_and_records_the_task(tmp_path):
    from maniptrans_bringup.bag_io import bag_summary

    seq = write_task(tmp_path, 45)
    script = tmp_path / "composed.py"
    script.write_text(COMPOSED)
    env = dict(os.environ, ROS_DOMAIN_ID=str(os.getpid() % 90 + 5))
    res = subprocess.run(
        [sys.executable, str(script), str(seq), str(tmp_path / "bag"), str(tmp_path / "run")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "composing /bag_recorder (maniptrans_bringup.bag_recorder_node.BagRecorder)" in out
    assert "robot_state_publisher" in out and "description_publisher" in out
    summary = bag_summary(tmp_path / "bag")
    # the recorder subscribes before the player starts: every frame published is in the bag.
    # A player stalled for more than late_drop_s skips the frames it is late for (a loaded CI
    # machine skipped 10): published + skipped is the whole task
    ended = re.search(r"task ended: (\d+) frames published, (\d+) late frames skipped", out)
    assert ended, out
    published, skipped = int(ended[1]), int(ended[2])
    assert published + skipped == 45 and published >= 30, out
    assert summary["/sim/left/hand/joint_states"]["count"] == published, (summary, out)
    assert summary["/sim/objects/box/pose"]["count"] == published, (summary, out)


@pytest.mark.ros
def test_composed_mode_stops_on_sigint_and_keeps_what_it_recorded(tmp_path):
    from maniptrans_bringup.bag_io import bag_summary

    seq = write_task(tmp_path, 1200)  # 20 s at 60 Hz: still playing when the signal comes
    script = tmp_path / "composed.py"
    script.write_text(COMPOSED)
    env = dict(os.environ, ROS_DOMAIN_ID=str(os.getpid() % 90 + 5), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(seq), str(tmp_path / "bag"), str(tmp_path / "run")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if "drivers ready: playing" in line:
                break
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = "".join(lines) + out
    assert proc.returncode == 0, out
    assert "stopping (received SIGINT)" in out
    assert "Traceback" not in out  # the stuck-node stack dump stays quiet: it stopped in time
    count = bag_summary(tmp_path / "bag")["/sim/left/hand/joint_states"]["count"]
    assert 10 < count < 1200, out
