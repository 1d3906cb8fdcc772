"""Reference penetration: which robot link of the retargeted hand is inside an object, how deep."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from maniptrans_training.cli import main
from maniptrans_training.demo import save_demo
from maniptrans_training.env import build_reference
from maniptrans_training.errors import TrainingError
from maniptrans_training.penetration import format_penetration, reference_penetration
from maniptrans_training.retarget import retarget_demo
from maniptrans_training.synthetic import make_demo

INSIDE = range(10, 21)  # frames at which the test puts the box onto the right wrist


def _box_on_right_wrist(demo):
    """lift_box with the box centred on the right wrist in frames 10..20 and 1 m away otherwise."""
    poses = demo.objects[0].poses.copy()
    poses[:, :3, 3] += [0.0, 0.0, 1.0]
    for f in INSIDE:
        poses[f, :3, 3] = demo.hands["right"].wrist_pos[f]
    return replace(demo, objects=(replace(demo.objects[0], poses=poses),))


@pytest.fixture(scope="module")
def demo():
    return make_demo("lift_box", 0)


def _reference(demo):
    return build_reference(demo, retarget_demo(demo))


def test_an_object_out_of_reach_penetrates_nothing(demo):
    far = demo.objects[0].poses.copy()
    far[:, :3, 3] += [0.0, 0.0, 1.0]
    ref = _reference(replace(demo, objects=(replace(demo.objects[0], poses=far),)))
    rows = reference_penetration(ref, tolerance=0.0)
    assert rows == []
    assert "no robot link" in format_penetration(rows, 0.0)


def test_a_box_on_the_wrist_is_found_in_that_hand_at_those_frames(demo):
    ref = _reference(_box_on_right_wrist(demo))
    rows = reference_penetration(ref, tolerance=0.001)
    assert rows, "a 10 cm box centred on the wrist must be inside the palm"
    assert {r.side for r in rows} == {"right"}  # the left hand is 30 cm away
    palm = next(r for r in rows if r.link == "hand_base_link")
    assert palm.object == "box"
    assert palm.depth > 0.02
    assert palm.frame in INSIDE
    assert palm.frames == len(INSIDE)
    assert [r.depth for r in rows] == sorted((r.depth for r in rows), reverse=True)
    # a tolerance above the deepest link reports nothing; the table names every reported link
    assert reference_penetration(ref, tolerance=rows[0].depth + 1e-6) == []
    table = format_penetration(rows, 0.001)
    assert all(r.link in table for r in rows) and f"{1000 * palm.depth:.1f}" in table


def test_frames_outside_the_reference_and_a_negative_tolerance_are_refused(demo):
    ref = _reference(demo)
    with pytest.raises(TrainingError, match="frames"):
        reference_penetration(ref, frames=np.array([0, ref.num_frames]))
    with pytest.raises(TrainingError, match="tolerance"):
        reference_penetration(ref, tolerance=-0.001)


def test_cli_gates_a_demo_on_the_deepest_link(demo, tmp_path, capsys):
    path = save_demo(_box_on_right_wrist(demo), tmp_path / "wrist_box.npz")
    assert main(["penetration", "--demo", str(path), "--fail-above-mm", "1000"]) == 0
    assert "hand_base_link" in capsys.readouterr().out
    assert main(["penetration", "--demo", str(path), "--fail-above-mm", "5"]) == 1
    err = capsys.readouterr().err
    assert "FAIL: right" in err and "box" in err and "limit 5.0 mm" in err
