"""The RealMan emulator on a real TCP socket: framing, async arrival, UDP push, link faults."""

from __future__ import annotations

import json
import socket
import time

import pytest
from mockrig_helpers import ArmBench, JsonLineClient

from maniptrans_sim.mock.faults import parse_fault


def test_every_reply_is_one_compact_json_object_per_crlf(json_client: JsonLineClient) -> None:
    json_client.send({"command": "get_joint_degree"})
    raw = json_client.read_raw()
    assert raw.endswith(b"\r\n") and raw.count(b"\r\n") == 1
    assert b" " not in raw and json.loads(raw)["state"] == "joint_degree"


def test_a_request_without_crlf_is_not_acted_on_until_the_crlf_arrives(
    json_client: JsonLineClient,
) -> None:
    sock = json_client.sock
    sock.sendall(b'{"command":"get_joint_degree"}')
    sock.settimeout(0.3)
    with pytest.raises(TimeoutError):
        sock.recv(4096)
    sock.settimeout(2.0)
    sock.sendall(b"\r\n")
    reply = sock.recv(4096)
    assert reply.endswith(b"\r\n") and json.loads(reply)["state"] == "joint_degree"


def test_requests_split_across_segments_and_batched_in_one_are_each_answered(
    json_client: JsonLineClient,
) -> None:
    json_client.send(b'{"command":"get_joi')
    time.sleep(0.05)
    json_client.send(b'nt_degree"}\r\n{"command":"get_arm_power_state"}\r\n')
    assert json_client.read()["state"] == "joint_degree"
    assert json_client.read()["state"] == "arm_power_state"


def test_movej_replies_at_once_and_the_arrival_follows_when_motion_ends(
    arm_bench: ArmBench, json_client: JsonLineClient
) -> None:
    t0 = time.monotonic()
    reply = json_client.ask(
        {"command": "movej", "v": 80, "joint": [15000, 0, 0, 0, 0, 0, 0], "trajectory_connect": 0}
    )
    assert reply == {"command": "movej", "receive_state": True}
    assert time.monotonic() - t0 < 0.1
    arrival = json_client.read()
    elapsed = time.monotonic() - t0
    assert arrival["state"] == "current_trajectory_state" and arrival["trajectory_state"] is True
    assert 0.1 < elapsed < 2.0  # the move took real (simulated = wall) time
    joint = json_client.ask({"command": "get_joint_degree"})["joint"]
    assert abs(joint[0] - 15000) <= 200


def test_arrival_goes_only_to_the_connection_that_commanded_the_move(
    arm_bench: ArmBench, json_client: JsonLineClient
) -> None:
    other = JsonLineClient(arm_bench.port)
    try:
        json_client.ask({"command": "movej", "v": 100, "joint": [3000, 0, 0, 0, 0, 0, 0]})
        assert json_client.read()["state"] == "current_trajectory_state"
        # the other connection's next line is the answer to its own request
        assert other.ask({"command": "get_joint_degree"})["state"] == "joint_degree"
    finally:
        other.close()


def test_udp_push_is_sent_to_the_clients_host_at_the_configured_cycle(
    arm_bench: ArmBench, json_client: JsonLineClient
) -> None:
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(1.0)
    try:
        port = rx.getsockname()[1]
        reply = json_client.ask(
            {"command": "set_realtime_push", "enable": True, "cycle": 2, "port": port, "ip": "x"}
        )
        assert reply == {"command": "set_realtime_push", "state": True}
        got = json_client.ask({"command": "get_realtime_push"})
        assert got["port"] == port and got["cycle"] == 2 and got["enable"] is True
        t0 = time.monotonic()
        msgs = [json.loads(rx.recv(65536)) for _ in range(20)]
        period = (time.monotonic() - t0) / 20
        assert 0.005 < period < 0.03  # cycle 2 = 10 ms
        m = msgs[-1]
        assert len(m["joint_status"]["joint_position"]) == 7
        assert m["err"] == [0] and "waypoint" in m and m["arm_current_status"] == "idle"
    finally:
        rx.close()


def test_dropped_replies_go_unanswered_and_are_logged(
    arm_bench: ArmBench, json_client: JsonLineClient
) -> None:
    arm_bench.faults.apply(parse_fault("left_arm:drop=1.0"))
    json_client.send({"command": "get_joint_degree"})
    json_client.sock.settimeout(0.3)
    with pytest.raises(TimeoutError):
        json_client.sock.recv(4096)
    drops = arm_bench.log.events("left_arm", "drop")
    assert len(drops) == 1 and drops[0].detail["reply"] == "get_joint_degree"
    assert arm_bench.log.events("left_arm", "drop:armed")[0].wall_time <= drops[0].wall_time


def test_corrupted_replies_keep_framing_but_no_longer_parse_as_the_reply(
    arm_bench: ArmBench, json_client: JsonLineClient
) -> None:
    arm_bench.faults.apply(parse_fault("left_arm:corrupt=1.0"))
    json_client.send({"command": "get_current_arm_state"})
    raw = json_client.read_raw()
    assert raw.endswith(b"\r\n")
    good = json.dumps(arm_bench.controller.handle({"command": "get_current_arm_state"}))
    assert raw.rstrip(b"\r\n") != json.dumps(json.loads(good), separators=(",", ":")).encode()
    assert len(arm_bench.log.events("left_arm", "corrupt")) == 1


def test_latency_delays_every_reply_by_the_configured_time(
    arm_bench: ArmBench, json_client: JsonLineClient
) -> None:
    arm_bench.faults.apply(parse_fault("left_arm:latency=0.2"))
    t0 = time.monotonic()
    json_client.ask({"command": "get_joint_degree"})
    assert 0.19 < time.monotonic() - t0 < 0.6


def test_disconnect_after_n_commands_closes_the_link_once(
    arm_bench: ArmBench, json_client: JsonLineClient
) -> None:
    arm_bench.faults.apply(parse_fault("left_arm:disconnect_after=3"))
    for _ in range(3):
        json_client.ask({"command": "get_joint_degree"})
    json_client.send({"command": "get_joint_degree"})
    assert json_client.read_raw() == b""  # closed by the emulator
    assert len(arm_bench.log.events("left_arm", "disconnect")) == 1
    again = JsonLineClient(arm_bench.port)  # a reconnect is served normally
    try:
        assert again.ask({"command": "get_joint_degree"})["state"] == "joint_degree"
    finally:
        again.close()
