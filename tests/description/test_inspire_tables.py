"""Inspire hand tables and API: names, mimic mapping, left/right mirroring, FK of the tables."""

from __future__ import annotations

import numpy as np
import pytest
from description_facts import FINGERTIPS, HAND_JOINT_FRAMES, HAND_POSES

from maniptrans_description import inspire, model
from maniptrans_description.errors import DescriptionError

SIDES = ("left", "right")


def tips_from_tables(side, q_act, coupling=inspire.DEFAULT_COUPLING):
    robot = inspire.hand_robot(side, coupling)
    poses = model.forward_kinematics(
        robot, dict(zip(inspire.driven_joint_names(side), q_act, strict=True))
    )
    return np.array([poses[f][:3, 3] for f in inspire.fingertip_frames(side)])


def test_sim_joint_names_follow_the_facts_order_with_the_side_prefix():
    names = inspire.sim_joint_names("right")
    assert len(names) == 12
    assert names[:4] == [
        "R_thumb_proximal_yaw_joint",
        "R_thumb_proximal_pitch_joint",
        "R_thumb_intermediate_joint",
        "R_thumb_distal_joint",
    ]
    assert names[4:] == [
        f"R_{f}_{s}_joint"
        for f in ("index", "middle", "ring", "pinky")
        for s in ("proximal", "intermediate")
    ]
    assert inspire.sim_joint_names("left") == [n.replace("R_", "L_", 1) for n in names]


def test_actuator_and_fingertip_names_match_the_contract():
    assert inspire.actuator_names("left") == [
        "left_hand_little",
        "left_hand_ring",
        "left_hand_middle",
        "left_hand_index",
        "left_hand_thumb_bend",
        "left_hand_thumb_rotation",
    ]
    assert inspire.fingertip_frames("right") == [
        "R_thumb_tip",
        "R_index_tip",
        "R_middle_tip",
        "R_ring_tip",
        "R_pinky_tip",
    ]
    assert inspire.driven_joint_names("right")[0] == "R_pinky_proximal_joint"
    assert inspire.driven_joint_names("right")[5] == "R_thumb_proximal_yaw_joint"


def test_actuator_limits_are_the_driven_joint_limits():
    lower, upper = inspire.actuator_limits("right")
    np.testing.assert_allclose(lower, [0, 0, 0, 0, 0, -0.1])
    np.testing.assert_allclose(upper, [1.7, 1.7, 1.7, 1.7, 0.5, 1.3])


def test_bad_side_is_refused_naming_the_valid_sides():
    with pytest.raises(DescriptionError, match=r"'left' or 'right'.*'up'"):
        inspire.sim_joint_names("up")


@pytest.mark.parametrize("side", SIDES)
def test_actuators_to_sim_joints_places_driven_joints_and_applies_mimics(side):
    rng = np.random.default_rng(1)
    q_act = rng.uniform(0.0, 0.5, size=(4, 3, 6))
    q = inspire.actuators_to_sim_joints(side, q_act)
    assert q.shape == (4, 3, 12)
    names = inspire.sim_joint_names(side)
    np.testing.assert_array_equal(inspire.sim_joints_to_actuators(side, q), q_act)
    for m in inspire.mimic_table(side):
        np.testing.assert_allclose(
            q[..., names.index(m.joint)],
            m.multiplier * q[..., names.index(m.leader)] + m.offset,
        )


def test_mimic_multipliers_are_a_parameter():
    dex = inspire.MimicCoupling(
        thumb_intermediate=1.334,
        thumb_distal=0.667,
        finger_intermediate=1.06399,
        finger_intermediate_offset=-0.04545,
    )
    q = inspire.actuators_to_sim_joints("left", [1.0, 1.0, 1.0, 1.0, 0.5, 0.0], dex)
    names = inspire.sim_joint_names("left")
    assert q[names.index("L_thumb_distal_joint")] == pytest.approx(0.3335)
    assert q[names.index("L_ring_intermediate_joint")] == pytest.approx(1.06399 - 0.04545)
    table = {m.joint: m for m in inspire.mimic_table("left", dex)}
    assert table["L_thumb_intermediate_joint"].multiplier == 1.334
    default = {m.joint: m for m in inspire.mimic_table("left")}
    assert default["L_thumb_distal_joint"].multiplier == 2.4


def test_default_mimics_are_the_six_passive_joints_with_their_leaders():
    table = inspire.mimic_table("right")
    assert len(table) == 6
    assert {m.leader for m in table} == set(inspire.driven_joint_names("right")) - {
        "R_thumb_proximal_yaw_joint"
    }


def test_actuator_arrays_of_the_wrong_width_are_refused():
    with pytest.raises(DescriptionError, match=r"\(\.\.\., 6\)"):
        inspire.actuators_to_sim_joints("right", np.zeros(12))
    with pytest.raises(DescriptionError, match=r"\(\.\.\., 12\)"):
        inspire.sim_joints_to_actuators("right", np.zeros(6))


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("pose", list(HAND_POSES))
def test_fingertips_of_the_tables_match_the_facts_reference(side, pose):
    tips = tips_from_tables(side, HAND_POSES[pose])
    np.testing.assert_allclose(tips, FINGERTIPS[(side, pose)], atol=1e-5)


@pytest.mark.parametrize("side", SIDES)
def test_joint_origins_and_axes_in_the_base_frame_match_the_facts(side):
    robot = inspire.hand_robot(side)
    poses = model.forward_kinematics(robot, {})
    p = "L" if side == "left" else "R"
    for name, per_side in HAND_JOINT_FRAMES.items():
        origin, axis = per_side[side]
        joint = next(j for j in robot.joints if j.name == f"{p}_{name}")
        T = poses[joint.child]
        np.testing.assert_allclose(T[:3, 3], origin, atol=1e-5, err_msg=name)
        np.testing.assert_allclose(T[:3, :3] @ joint.axis, axis, atol=1e-4, err_msg=name)


def test_the_same_positive_angle_flexes_both_hands_as_mirror_images():
    # fingers only: the thumb is not an exact mirror in the source model
    q_act = [1.2, 0.9, 0.6, 0.3, 0.0, 0.0]
    right, left = tips_from_tables("right", q_act), tips_from_tables("left", q_act)
    mirror = np.array([1.0, 1.0, -1.0])
    np.testing.assert_allclose(left[2:], right[2:] * mirror, atol=1e-5)  # middle, ring, pinky
    np.testing.assert_allclose(left[1], right[1] * mirror, atol=3e-4)  # index: own offset


def test_mirroring_keeps_masses_principal_moments_and_box_sizes():
    right = {link.name[2:]: link for link in inspire.link_table("right")}
    for left in inspire.link_table("left"):
        r = right[left.name[2:]]
        assert [s.size for s in left.shapes] == [s.size for s in r.shapes]
        if r.inertial is None:
            assert left.inertial is None
            continue
        assert left.inertial.mass == r.inertial.mass
        np.testing.assert_allclose(
            np.linalg.eigvalsh(left.inertial.tensor()),
            np.linalg.eigvalsh(r.inertial.tensor()),
            rtol=1e-12,
        )


def test_mirrored_left_palm_is_within_a_tenth_of_a_millimetre_of_the_left_cad_export():
    # ManipTrans's own left export (facts §3b): base COM (-0.002551, -0.066047, -0.0019357)
    base = inspire.link_table("left")[0]
    assert base.name == "L_hand_base_link"
    np.testing.assert_allclose(base.inertial.com, [-0.002551, -0.066047, -0.0019357], atol=1e-4)
    assert base.inertial.mass == pytest.approx(0.14143)


def test_mirror_of_a_joint_flips_z_of_its_origin_and_keeps_flexion_positive():
    right = next(j for j in inspire.joint_table("right") if j.name == "R_middle_proximal_joint")
    unprefixed = model.Joint(
        "middle_proximal_joint", "revolute", "hand_base_link", "middle_proximal",
        right.xyz, right.rpy, right.axis,
    )  # fmt: skip
    left = inspire.mirror_joint_to_left(unprefixed)
    assert left.xyz == pytest.approx((right.xyz[0], right.xyz[1], -right.xyz[2]))
    assert left.axis == (0.0, 0.0, -1.0)
