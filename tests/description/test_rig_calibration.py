"""Rig calibration YAML: defaults, conventions and error messages."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from maniptrans_description.errors import DescriptionError
from maniptrans_description.paths import config_path
from maniptrans_description.rig import RigCalibration


def shipped():
    return yaml.safe_load(config_path("rig.yaml").read_text())


def write(tmp_path, doc):
    path = tmp_path / "rig.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_default_rig_loads_with_rigid_transforms_for_both_sides():
    rig = RigCalibration.load()
    assert rig.arm_variant in ("rm75_b", "rm75_6f")
    for T in (*rig.T_world_armbase.values(), *rig.T_flange_hand.values(), rig.T_world_sim):
        assert T.shape == (4, 4)
        np.testing.assert_allclose(T[:3, :3] @ T[:3, :3].T, np.eye(3), atol=1e-12)
        assert np.linalg.det(T[:3, :3]) == pytest.approx(1.0)
        with pytest.raises(ValueError):
            T[0, 3] = 1.0  # read-only


def test_default_arms_stand_mirror_symmetric_about_the_world_xz_plane():
    rig = RigCalibration.load()
    left, right = rig.T_world_armbase["left"], rig.T_world_armbase["right"]
    np.testing.assert_allclose(left[:3, 3] * [1, -1, 1], right[:3, 3])
    assert left[1, 3] > 0 > right[1, 3]


@pytest.mark.parametrize("side", ["left", "right"])
def test_default_hand_mount_points_the_fingers_out_of_the_flange(side):
    T = RigCalibration.load().T_flange_hand[side]
    # hand base: -y runs from the wrist to the fingers
    np.testing.assert_allclose(T[:3, :3] @ [0, -1, 0], [0, 0, 1], atol=1e-12)
    np.testing.assert_allclose(T[:3, 3], 0.0)


def test_default_palms_face_each_other_when_the_arms_are_straight():
    rig = RigCalibration.load()
    palm = {s: rig.T_flange_hand[s][:3, :3] @ [-1, 0, 0] for s in ("left", "right")}
    np.testing.assert_allclose(palm["left"], [0, -1, 0], atol=1e-12)
    np.testing.assert_allclose(palm["right"], [0, 1, 0], atol=1e-12)


def test_rpy_in_degrees_and_in_radians_give_the_same_pose(tmp_path):
    doc = shipped()
    doc["sim_world"] = {"xyz": [0.1, 0.2, 0.3], "rpy_deg": [10.0, -20.0, 30.0]}
    a = RigCalibration.load(write(tmp_path, doc)).T_world_sim
    doc["sim_world"] = {"xyz": [0.1, 0.2, 0.3], "rpy": np.deg2rad([10.0, -20.0, 30.0]).tolist()}
    b = RigCalibration.load(write(tmp_path, doc)).T_world_sim
    np.testing.assert_allclose(a, b, atol=1e-15)


def test_unknown_arm_variant_is_reported_with_the_choices(tmp_path):
    doc = {**shipped(), "arm_variant": "rm65_b"}
    with pytest.raises(DescriptionError, match=r"rig\.yaml: arm_variant.*rm75_b.*'rm65_b'"):
        RigCalibration.load(write(tmp_path, doc))


def test_a_missing_side_is_reported_with_its_key_path(tmp_path):
    doc = shipped()
    del doc["arms"]["right"]
    with pytest.raises(DescriptionError, match=r"rig\.yaml: arms: missing key 'right'"):
        RigCalibration.load(write(tmp_path, doc))


def test_a_pose_with_both_rpy_forms_or_a_short_xyz_is_refused(tmp_path):
    doc = shipped()
    doc["arms"]["left"]["base"] = {"xyz": [0, 0, 0], "rpy": [0, 0, 0], "rpy_deg": [0, 0, 0]}
    with pytest.raises(DescriptionError, match=r"arms\.left\.base: give exactly one"):
        RigCalibration.load(write(tmp_path, doc))
    doc = shipped()
    doc["arms"]["left"]["hand_mount"] = {"xyz": [0, 0], "rpy": [0, 0, 0]}
    with pytest.raises(
        DescriptionError, match=r"arms\.left\.hand_mount\.xyz: expected a list of 3"
    ):
        RigCalibration.load(write(tmp_path, doc))


def test_unknown_top_level_keys_are_refused(tmp_path):
    with pytest.raises(DescriptionError, match=r"unknown keys.*'camera'"):
        RigCalibration.load(write(tmp_path, {**shipped(), "camera": {}}))
