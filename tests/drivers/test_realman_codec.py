"""RealMan JSON codec: framing, units and reply parsing (facts/realman_protocol.md §1-§5, §9)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from realman_inspire_driver.codecs import realman_errors
from realman_inspire_driver.codecs import realman_json as rj
from realman_inspire_driver.errors import ConfigError, FrameError

STATE = {
    "state": "current_arm_state",
    "arm_state": {
        "joint": [1000, -2000, 3000, -4000, 5000, -6000, 7000],
        "pose": [100000, 200000, 300000, 1000, 2000, 3000],
        "err": [0],
    },
}


def line(obj: dict) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode() + b"\r\n"


def test_requests_are_compact_json_ending_in_crlf():
    assert rj.encode("get_current_arm_state") == b'{"command":"get_current_arm_state"}\r\n'
    assert rj.encode("set_joint_clear_err", joint_clear_err=3) == (
        b'{"command":"set_joint_clear_err","joint_clear_err":3}\r\n'
    )


def test_joint_angles_go_out_in_thousandths_of_a_degree():
    q = np.radians([1.0, -2.0, 3.0, -4.0, 5.0, -6.0, -20.3])
    assert rj.joints_to_wire(q, 7) == [1000, -2000, 3000, -4000, 5000, -6000, -20300]
    msg = json.loads(rj.movej(q, 7, 10))
    assert msg == {
        "command": "movej",
        "v": 10,
        "joint": [1000, -2000, 3000, -4000, 5000, -6000, -20300],
        "trajectory_connect": 0,
        "r": 0,
    }
    canfd = json.loads(rj.movej_canfd(q, 7, follow=False))
    assert canfd["command"] == "movej_canfd" and canfd["joint"][6] == -20300
    assert canfd["follow"] is False


def test_joint_angles_round_trip_within_half_a_thousandth_of_a_degree():
    rng = np.random.default_rng(0)
    q = rng.uniform(-3, 3, size=(200, 7))
    for row in q:
        back = rj.joints_from_wire(rj.joints_to_wire(row, 7), 7)
        assert np.max(np.abs(back - row)) <= math.radians(0.0005) + 1e-12


def test_non_finite_or_misshapen_joint_commands_never_reach_the_wire():
    with pytest.raises(ConfigError, match="finite"):
        rj.joints_to_wire([0, 0, 0, float("nan"), 0, 0, 0], 7)
    with pytest.raises(ConfigError, match="7 joint angles"):
        rj.joints_to_wire([0] * 6, 7)
    with pytest.raises(ConfigError, match="percentage"):
        rj.movej([0] * 7, 7, 0)


def test_the_framer_reassembles_a_reply_split_at_every_byte():
    data = line(STATE)
    for cut in range(1, len(data)):
        framer = rj.LineFramer()
        framer.feed(data[:cut])
        if cut < len(data) - 1:
            assert framer.next_message() is None
        framer.feed(data[cut:])
        assert framer.next_message() == STATE


def test_the_framer_separates_replies_merged_into_one_segment():
    framer = rj.LineFramer()
    framer.feed(line(STATE) + line({"command": "set_arm_stop", "arm_stop": True}) + b'{"sta')
    assert rj.reply_key(framer.next_message()) == "current_arm_state"
    assert rj.reply_key(framer.next_message()) == "set_arm_stop"
    assert framer.next_message() is None
    assert framer.pending_bytes() == 5


def test_pretty_printed_json_with_bare_newlines_is_one_message():
    framer = rj.LineFramer()
    framer.feed(json.dumps(STATE, indent=2).encode() + b"\r\n")
    assert framer.next_message() == STATE


def test_a_garbage_line_raises_and_the_next_line_still_parses():
    framer = rj.LineFramer()
    framer.feed(b"{not json}\r\n" + line(STATE))
    with pytest.raises(FrameError, match="not valid JSON"):
        framer.next_message()
    assert framer.next_message() == STATE


def test_an_endless_line_without_terminator_is_dropped_with_an_error():
    framer = rj.LineFramer(max_line=1000)
    framer.feed(b"x" * 1001)
    with pytest.raises(FrameError, match="without a CRLF"):
        framer.next_message()
    assert framer.pending_bytes() == 0


def test_reply_key_prefers_a_string_state_and_falls_back_to_command():
    assert rj.reply_key({"state": "joint_degree"}) == "joint_degree"
    assert rj.reply_key({"command": "set_realtime_push", "state": True}) == "set_realtime_push"
    with pytest.raises(FrameError):
        rj.reply_key({"state": 3})


def test_arm_state_parses_to_radians_metres_and_active_errors():
    state = rj.parse_arm_state(STATE, 7)
    np.testing.assert_allclose(state.q, np.radians([1, -2, 3, -4, 5, -6, 7]))
    np.testing.assert_allclose(state.pose, [0.1, 0.2, 0.3, 1.0, 2.0, 3.0])
    assert state.errors == ()
    both = {"arm_state": {**STATE["arm_state"], "err": [0x100D, 0x1001], "arm_err": 0}}
    assert rj.parse_arm_state(both, 7).errors == (0x100D, 0x1001)
    doc_form = {"arm_state": {"joint": [0] * 7, "pose": [0] * 6, "arm_err": 0, "sys_err": 0x1007}}
    assert rj.parse_arm_state(doc_form, 7).errors == (0x1007,)


def test_arm_state_with_a_wrong_array_length_or_type_is_refused():
    short = {"arm_state": {**STATE["arm_state"], "joint": [0] * 6}}
    with pytest.raises(FrameError, match="'joint' must hold 7"):
        rj.parse_arm_state(short, 7)
    flat = {"state": "current_arm_state", "joint": [0] * 7}
    with pytest.raises(FrameError, match="lacks 'arm_state'"):
        rj.parse_arm_state(flat, 7)
    text_err = {"arm_state": {**STATE["arm_state"], "err": "none"}}
    with pytest.raises(FrameError, match="'err'"):
        rj.parse_arm_state(text_err, 7)


def test_software_info_gives_the_model_and_its_degrees_of_freedom():
    info = rj.parse_software_info({"command": "arm_software_info", "Product_version": "RM75-B"})
    assert (info.model, info.dof) == ("RM75", 7)
    assert rj.parse_software_info({"Product_version": "RM65-6F"}).dof == 6
    with pytest.raises(FrameError, match="end effector"):
        rj.parse_software_info({"Product_version": "RM75"})


def test_setter_replies_need_json_booleans():
    assert rj.parse_bool({"command": "set_arm_stop", "arm_stop": True}, "arm_stop") is True
    with pytest.raises(FrameError):
        rj.parse_bool({"command": "set_arm_stop", "arm_stop": 1}, "arm_stop")


def test_all_state_converts_temperatures_currents_and_voltages():
    msg = {
        "state": "arm_all_state",
        "all_state": {
            "temperature": [41500] * 7,
            "current": [250000] * 7,
            "voltage": [48000] * 7,
            "err_flag": [0, 0, 0x4000, 0, 0, 0, 0],
            "en_flag": [1] * 7,
            "err": [0],
        },
    }
    health = rj.parse_all_state(msg, 7)
    np.testing.assert_allclose(health.temperature, 41.5)
    np.testing.assert_allclose(health.current, 0.25)
    np.testing.assert_allclose(health.voltage, 48.0)
    assert health.joint_errors[2] == 0x4000 and all(health.enabled)


def test_error_codes_decode_to_words():
    assert realman_errors.describe_system_error(0x100D) == "0x100D collision detected"
    assert "unknown" in realman_errors.describe_system_error(0x7777)
    assert realman_errors.describe_joint_error(0x4200) == (
        "position over limit",
        "position command step warning",
    )
    assert realman_errors.describe_joint_error(0xF000) == ("communication frame loss",)
    assert realman_errors.describe_joint_error(0) == ()


PUSH = {  # facts §7: joint_status, waypoint and err are what the SDK needs
    "state": "realtime_arm_joint_state",
    "joint_status": {
        "joint_position": [1000, -2000, 3000, -4000, 5000, -6000, 7000],
        "joint_current": [0] * 7,
        "joint_en_flag": [1] * 7,
        "joint_err_code": [0] * 7,
    },
    "waypoint": {
        "position": [100000, 200000, 300000],
        "euler": [10, 20, 30],
        "quat": [1, 0, 0, 0],
    },
    "err": [0],
    "arm_err": 0,
    "sys_err": 0,
}


def test_a_push_datagram_parses_to_joints_pose_and_errors_in_si_units():
    state = rj.parse_push(json.dumps(PUSH).encode(), 7)  # no CRLF on a datagram
    np.testing.assert_allclose(np.degrees(state.q), [1, -2, 3, -4, 5, -6, 7])
    np.testing.assert_allclose(state.pose, [0.1, 0.2, 0.3, 0.01, 0.02, 0.03])
    assert state.errors == ()
    bad = dict(PUSH, err=[0x5002])
    assert rj.parse_push(json.dumps(bad).encode(), 7).errors == (0x5002,)


def test_a_push_datagram_without_joints_or_waypoint_or_two_objects_is_refused():
    for drop in ("joint_status", "waypoint"):
        msg = {k: v for k, v in PUSH.items() if k != drop}
        with pytest.raises(FrameError, match=drop):
            rj.parse_push(json.dumps(msg).encode(), 7)
    with pytest.raises(FrameError, match="one JSON object"):
        rj.parse_push(json.dumps(PUSH).encode() * 2, 7)


def test_the_push_request_rounds_the_period_to_5_ms_cycles_and_checks_its_target():
    msg = json.loads(rj.set_realtime_push(0.01, 8089, "192.168.1.10"))
    assert msg == {
        "command": "set_realtime_push",
        "enable": True,
        "cycle": 2,
        "port": 8089,
        "ip": "192.168.1.10",
    }
    assert json.loads(rj.set_realtime_push(0.001, 8089, "h"))["cycle"] == 1
    with pytest.raises(ConfigError, match="port"):
        rj.set_realtime_push(0.01, 0, "h")
    with pytest.raises(ConfigError, match="ip"):
        rj.set_realtime_push(0.01, 8089, "")
