"""Actuator angle <-> 0..1000 command mapping and its YAML calibration."""

from __future__ import annotations

import numpy as np
import pytest

from maniptrans_description import inspire
from maniptrans_description.errors import DescriptionError
from maniptrans_description.paths import config_path

VALID = {
    "little": {"angle_at_0": 1.7, "angle_at_1000": 0.0},
    "ring": {"angle_at_0": 1.7, "angle_at_1000": 0.0},
    "middle": {"angle_at_0": 1.7, "angle_at_1000": 0.0},
    "index": {"angle_at_0": 1.7, "angle_at_1000": 0.0},
    "thumb_bend": {"angle_at_0": 0.5, "angle_at_1000": 0.0},
    "thumb_rotation": {"angle_at_0": 1.3, "angle_at_1000": -0.1},
}


def write_yaml(tmp_path, doc):
    import yaml

    path = tmp_path / "hand.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.mark.parametrize("side", ["left", "right"])
def test_default_mapping_is_the_protocol_formula(side):
    cal = inspire.HandCalibration.default(side)
    lo, hi = inspire.actuator_limits(side)
    q = np.random.default_rng(2).uniform(lo, hi, size=(50, 6))
    expected = np.rint(1000 * (hi - q) / (hi - lo)).astype(int)
    np.testing.assert_array_equal(cal.radians_to_command(q), expected)
    np.testing.assert_array_equal(cal.radians_to_command(lo), [1000] * 6)  # open
    np.testing.assert_array_equal(cal.radians_to_command(hi), [0] * 6)  # closed


def test_every_command_survives_a_round_trip_through_radians():
    cal = inspire.HandCalibration.default("right")
    cmd = np.repeat(np.arange(1001)[:, None], 6, axis=1)
    np.testing.assert_array_equal(cal.radians_to_command(cal.command_to_radians(cmd)), cmd)


def test_angles_beyond_the_range_clip_to_the_command_limits_and_nan_is_refused():
    cal = inspire.HandCalibration.default("left")
    np.testing.assert_array_equal(
        cal.radians_to_command([5, 5, -5, -5, 9, -9]), [0, 0, 1000, 1000, 0, 1000]
    )
    with pytest.raises(DescriptionError, match="finite"):
        cal.radians_to_command([0, 0, 0, 0, 0, float("nan")])


def test_command_readings_outside_0_to_1000_are_refused():
    cal = inspire.HandCalibration.default("left")
    with pytest.raises(DescriptionError, match=r"0..1000"):
        cal.command_to_radians([0, 0, 0, 0, 0, 1001])
    with pytest.raises(DescriptionError, match=r"\(\.\.\., 6\)"):
        cal.command_to_radians([0, 0, 0])


def test_shipped_calibration_file_equals_the_default_for_both_sides():
    for side in ("left", "right"):
        assert inspire.HandCalibration.load(None, side) == inspire.HandCalibration.default(side)
        assert (
            inspire.HandCalibration.load(config_path("hand_calibration.yaml"), side).side == side
        )


def test_swapping_the_two_angles_reverses_an_actuator(tmp_path):
    doc = {"left": {**VALID, "thumb_rotation": {"angle_at_0": -0.1, "angle_at_1000": 1.3}}}
    cal = inspire.HandCalibration.load(write_yaml(tmp_path, doc), "left")
    default = inspire.HandCalibration.default("left")
    q = [0.2, 0.2, 0.2, 0.2, 0.2, 0.2]
    assert cal.radians_to_command(q)[5] == 1000 - default.radians_to_command(q)[5]
    np.testing.assert_array_equal(cal.radians_to_command(q)[:5], default.radians_to_command(q)[:5])


def test_a_missing_actuator_is_reported_with_file_side_and_key(tmp_path):
    block = dict(VALID)
    del block["ring"]
    path = write_yaml(tmp_path, {"right": block})
    with pytest.raises(DescriptionError, match=r"hand\.yaml.*right.*missing key 'ring'"):
        inspire.HandCalibration.load(path, "right")


def test_bad_values_are_reported_with_their_key(tmp_path):
    bad = {"left": {**VALID, "index": {"angle_at_0": "wide", "angle_at_1000": 0.0}}}
    with pytest.raises(DescriptionError, match=r"left\.index\.angle_at_0.*'wide'"):
        inspire.HandCalibration.load(write_yaml(tmp_path, bad), "left")
    flat = {"left": {**VALID, "index": {"angle_at_0": 0.5, "angle_at_1000": 0.5}}}
    with pytest.raises(DescriptionError, match=r"index.*differ"):
        inspire.HandCalibration.load(write_yaml(tmp_path, flat), "left")
    extra = {"left": {**VALID, "wrist": {"angle_at_0": 1, "angle_at_1000": 0}}}
    with pytest.raises(DescriptionError, match=r"unknown actuators.*wrist"):
        inspire.HandCalibration.load(write_yaml(tmp_path, extra), "left")


def test_a_missing_file_is_reported_by_path(tmp_path):
    with pytest.raises(DescriptionError, match=r"nope.yaml"):
        inspire.HandCalibration.load(tmp_path / "nope.yaml", "left")
