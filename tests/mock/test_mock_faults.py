"""Fault specs, the fault log, and faults armed at rig start (first-order model, free ports)."""

from __future__ import annotations

import json
import time

import pytest

from maniptrans_sim.mock.errors import MockRigError
from maniptrans_sim.mock.faults import FaultLog, parse_fault
from maniptrans_sim.mock.rig import MockRig, MockRigConfig


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("left_leg:drop=0.1", "<left|right>_<arm|hand>"),
        ("left_arm:explode", "is not one of"),
        ("left_arm:drop=1.5", "[0, 1]"),
        ("right_hand:error=melted", "hand error must be one of"),
        ("right_arm:freeze", "freeze needs a joint"),
        ("right_arm:latency=abc", "not a number"),
    ],
)
def test_malformed_fault_specs_are_refused_with_the_reason(text: str, needle: str) -> None:
    with pytest.raises(MockRigError) as info:
        parse_fault(text)
    assert needle in str(info.value) and text.split(":")[0] in str(info.value)


def test_fault_specs_parse_values_and_indices() -> None:
    spec = parse_fault("left_arm:error=0x100D@2")
    assert (spec.target, spec.kind, spec.index, spec.number()) == ("left_arm", "error", 2, 0x100D)
    assert parse_fault("right_hand:freeze=3").number() == 3.0


def test_fault_log_writes_one_json_line_per_event_with_both_clocks(tmp_path) -> None:
    path = tmp_path / "faults.jsonl"
    log = FaultLog(lambda: 12.5, path)
    log.record("left_arm", "drop", reply="get_joint_degree")
    log.close()
    (line,) = path.read_text().splitlines()
    event = json.loads(line)
    assert event["sim_time"] == 12.5 and event["wall_time"] > 1e9
    assert event["target"] == "left_arm" and event["detail"] == {"reply": "get_joint_degree"}


def test_faults_given_at_start_are_armed_and_a_frozen_finger_stalls(tmp_path) -> None:
    cfg = MockRigConfig(
        model="first_order",
        arm_ports={"left": 0, "right": 0},
        hand_dir=str(tmp_path),
        faults=("right_hand:freeze=1", "left_arm:latency=0.05"),
        fault_log=str(tmp_path / "faults.jsonl"),
    )
    with MockRig(cfg) as rig:
        assert rig.link_faults["left_arm"].latency == 0.05
        rig.hands["right"].write_registers(1486, [0] * 6)
        t_end = time.monotonic() + 3.0
        while time.monotonic() < t_end and not rig.hands["right"].value("ERROR")[1]:
            time.sleep(0.05)
        assert rig.hands["right"].value("ERROR")[1] & 1  # stall
        assert rig.hands["right"].value("ERROR")[0] == 0
        with pytest.raises(MockRigError, match="is not one of"):
            rig.inject("left_arm:teleport")
    kinds = [json.loads(x)["kind"] for x in (tmp_path / "faults.jsonl").read_text().splitlines()]
    assert "freeze:armed" in kinds and "latency:armed" in kinds
    assert not (tmp_path / "left_hand").exists()  # symlinks removed on stop
