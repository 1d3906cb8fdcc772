"""Generated URDFs loaded by Pinocchio: FK against the MDH table and the facts' references."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest
from description_facts import FINGERTIPS, HAND_POSES, RM75_FLANGE

from maniptrans_description import inspire, rm75
from maniptrans_description.errors import DescriptionError
from maniptrans_description.loaders import load_pinocchio, pinocchio_q, pinocchio_q_indices
from maniptrans_description.paths import MODEL_NAMES
from maniptrans_description.rig import RigCalibration


def frame_pose(model, data, q, frame):
    pin.framesForwardKinematics(model, data, q)
    return data.oMf[model.getFrameId(frame)].homogeneous


def rotation_angle(R_a, R_b):
    """Angle [rad] of the rotation taking R_b to R_a (robust near zero)."""
    return float(np.linalg.norm(pin.log3(R_b.T @ R_a)))


@pytest.mark.parametrize("variant", rm75.VARIANTS)
def test_urdf_flange_matches_the_mdh_table_over_1000_random_configurations(variant):
    model = load_pinocchio(variant)
    data = model.createData()
    limits = rm75.joint_limits(variant)
    idx = pinocchio_q_indices(model, rm75.joint_names(None))
    rng = np.random.default_rng(3)
    worst_p = worst_r = 0.0
    for _ in range(1000):
        q_dh = rng.uniform(limits.lower, limits.upper)
        q = np.zeros(model.nq)
        q[idx] = q_dh
        T = frame_pose(model, data, q, "flange")
        T_ref = rm75.mdh_fk(variant, q_dh)
        worst_p = max(worst_p, float(np.linalg.norm(T[:3, 3] - T_ref[:3, 3])))
        worst_r = max(worst_r, rotation_angle(T[:3, :3], T_ref[:3, :3]))
    assert worst_p < 1e-6, f"flange position error {worst_p:.2e} m"
    assert worst_r < 1e-6, f"flange rotation error {worst_r:.2e} rad"


@pytest.mark.parametrize("variant", rm75.VARIANTS)
def test_urdf_flange_matches_the_facts_reference_poses(variant):
    model = load_pinocchio(variant)
    data = model.createData()
    for q_dh, p, R in RM75_FLANGE[variant]:
        q = pinocchio_q(model, dict(zip(rm75.joint_names(None), q_dh, strict=True)))
        T = frame_pose(model, data, q, "flange")
        np.testing.assert_allclose(T[:3, 3], p, atol=1e-6)
        np.testing.assert_allclose(T[:3, :3], R, atol=1e-6)


def hand_tips(name, side, q_sim):
    model = load_pinocchio(name)
    data = model.createData()
    q = pinocchio_q(model, dict(zip(inspire.sim_joint_names(side), q_sim, strict=True)))
    pin.framesForwardKinematics(model, data, q)
    return np.array(
        [data.oMf[model.getFrameId(f)].translation for f in inspire.fingertip_frames(side)]
    )


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("pose", list(HAND_POSES))
def test_real_and_sim_hand_fingertips_match_the_facts_reference(side, pose):
    q_sim = inspire.actuators_to_sim_joints(side, HAND_POSES[pose])  # mimics applied
    for name in (f"inspire_hand_{side}", f"inspire_hand_{side}_sim"):
        np.testing.assert_allclose(
            hand_tips(name, side, q_sim), FINGERTIPS[(side, pose)], atol=1e-4, err_msg=name
        )


def test_pinocchio_mimic_joints_follow_their_leader_like_the_actuator_mapping():
    model = load_pinocchio("inspire_hand_right", mimic=True)
    assert model.nq == 6
    data = model.createData()
    q_act = [1.1, 0.9, 0.7, 0.5, 0.3, 0.8]
    q = pinocchio_q(model, dict(zip(inspire.driven_joint_names("right"), q_act, strict=True)))
    pin.framesForwardKinematics(model, data, q)
    tips = [data.oMf[model.getFrameId(f)].translation for f in inspire.fingertip_frames("right")]
    q_sim = inspire.actuators_to_sim_joints("right", q_act)
    np.testing.assert_allclose(
        tips, hand_tips("inspire_hand_right_sim", "right", q_sim), atol=1e-9
    )


def test_real_hand_urdf_marks_exactly_the_six_passive_joints_as_mimic():
    import xml.etree.ElementTree as ET

    from maniptrans_description.paths import urdf_path

    root = ET.parse(urdf_path("inspire_hand_left")).getroot()
    mimics = {j.get("name"): j.find("mimic") for j in root.iter("joint")}
    table = {m.joint: m for m in inspire.mimic_table("left")}
    assert {n for n, m in mimics.items() if m is not None} == set(table)
    for name, el in mimics.items():
        if el is not None:
            assert el.get("joint") == table[name].leader
            assert float(el.get("multiplier")) == table[name].multiplier
    sim = ET.parse(urdf_path("inspire_hand_left_sim")).getroot()
    assert not list(sim.iter("mimic"))


def test_rig_frames_compose_base_pose_mdh_chain_and_hand_mount():
    rig = RigCalibration.load()
    model = load_pinocchio("bimanual_rig")
    data = model.createData()
    rng = np.random.default_rng(4)
    limits = rm75.joint_limits(rig.arm_variant)
    values, q_arm = {}, {}
    for side in ("left", "right"):
        q_arm[side] = rng.uniform(limits.lower, limits.upper)
        values.update(zip(rm75.joint_names(side), q_arm[side], strict=True))
        q_sim = inspire.actuators_to_sim_joints(side, [0.4, 0.5, 0.6, 0.7, 0.2, 0.3])
        values.update(zip(inspire.sim_joint_names(side), q_sim, strict=True))
    q = pinocchio_q(model, values)
    pin.framesForwardKinematics(model, data, q)
    for side in ("left", "right"):
        T_flange = rig.T_world_armbase[side] @ rm75.mdh_fk(rig.arm_variant, q_arm[side])
        oMf = {f.name: data.oMf[i].homogeneous for i, f in enumerate(model.frames)}
        np.testing.assert_allclose(oMf[f"{side}_arm_base"], rig.T_world_armbase[side], atol=1e-12)
        np.testing.assert_allclose(oMf[f"{side}_flange"], T_flange, atol=1e-9)
        T_hand = T_flange @ rig.T_flange_hand[side]
        np.testing.assert_allclose(oMf[f"{side}_hand_base"], T_hand, atol=1e-9)
    np.testing.assert_allclose(oMf["sim_world"], rig.T_world_sim, atol=1e-12)


def test_rig_has_the_contract_joint_and_frame_names():
    model = load_pinocchio("bimanual_rig")
    joints = set(model.names)
    frames = {f.name for f in model.frames}
    for side in ("left", "right"):
        assert set(rm75.joint_names(side)) <= joints
        assert set(inspire.sim_joint_names(side)) <= joints
        assert {f"{side}_arm_base", f"{side}_flange", f"{side}_hand_base"} <= frames
        assert set(inspire.fingertip_frames(side)) <= frames
    assert "world" in frames
    assert model.nq == 2 * (7 + 12)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_urdf_loads_with_a_collision_box_per_massive_link(name):
    model, geometry = load_pinocchio(name, with_collision=True)
    assert geometry.ngeoms > 0
    assert all(g.geometry.__class__.__name__ == "Box" for g in geometry.geometryObjects)
    assert np.all(np.array([i.mass for i in model.inertias]) >= 0)


def test_unknown_joint_names_are_reported_with_the_model_joints():
    model = load_pinocchio("rm75_b")
    with pytest.raises(DescriptionError, match=r"no joint 'left_arm_joint_1'.*arm_joint_1"):
        pinocchio_q(model, {"left_arm_joint_1": 0.0})
