"""Generated MJCFs in MuJoCo: names, agreement with Pinocchio, holding, mimics, floating hand."""

from __future__ import annotations

import mujoco
import numpy as np
import pinocchio as pin
import pytest

from maniptrans_description import inspire, rm75
from maniptrans_description.loaders import (
    load_mujoco,
    load_pinocchio,
    mujoco_actuator_indices,
    mujoco_qpos_indices,
    pinocchio_q,
)
from maniptrans_description.paths import MODEL_NAMES
from maniptrans_description.rig import RigCalibration

SIDES = ("left", "right")


def names_of(model, objtype, count):
    return {mujoco.mj_id2name(model, objtype, i) for i in range(count)}


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_mjcf_loads_and_steps(name):
    model = load_mujoco(name)
    data = mujoco.MjData(model)
    mujoco.mj_step(model, data, nstep=10)
    assert np.all(np.isfinite(data.qpos))
    assert model.opt.timestep == pytest.approx(0.002)


def test_rig_names_follow_the_documented_contract():
    model = load_mujoco("bimanual_rig")
    actuators = names_of(model, mujoco.mjtObj.mjOBJ_ACTUATOR, model.nu)
    sites = names_of(model, mujoco.mjtObj.mjOBJ_SITE, model.nsite)
    joints = names_of(model, mujoco.mjtObj.mjOBJ_JOINT, model.njnt)
    for side in SIDES:
        assert set(rm75.joint_names(side)) <= actuators & joints
        assert set(inspire.actuator_names(side)) <= actuators
        assert set(inspire.sim_joint_names(side)) <= joints
        assert {f"{side}_flange", f"{side}_hand_base", *inspire.fingertip_frames(side)} <= sites
    assert {"world", "sim_world"} <= sites
    assert model.nu == 2 * (7 + 6) and model.neq == 2 * 6


def test_real_hand_actuators_drive_the_driven_joints_and_equalities_couple_the_rest():
    model = load_mujoco("inspire_hand_right")
    for act, joint in zip(
        inspire.actuator_names("right"), inspire.driven_joint_names("right"), strict=True
    ):
        jid = model.actuator(act).trnid[0]
        assert model.joint(jid).name == joint
    lower, upper = inspire.actuator_limits("right")
    np.testing.assert_allclose(model.actuator_ctrlrange[:, 0], lower)
    np.testing.assert_allclose(model.actuator_ctrlrange[:, 1], upper)
    table = {m.joint: m for m in inspire.mimic_table("right")}
    for i in range(model.neq):
        child = model.joint(model.eq_obj1id[i]).name
        leader = model.joint(model.eq_obj2id[i]).name
        assert leader == table[child].leader
        np.testing.assert_allclose(
            model.eq_data[i, :2], [table[child].offset, table[child].multiplier]
        )


def random_rig_values(rng, variant):
    limits = rm75.joint_limits(variant)
    values = {}
    for side in SIDES:
        values.update(
            zip(rm75.joint_names(side), rng.uniform(limits.lower, limits.upper), strict=True)
        )
        lo, hi = inspire.actuator_limits(side)
        q_sim = inspire.actuators_to_sim_joints(side, rng.uniform(lo, hi))
        values.update(zip(inspire.sim_joint_names(side), q_sim, strict=True))
    return values


def compare_sites_with_pinocchio(name, values, frames, mj_root_pose=None):
    pmodel = load_pinocchio(name)
    pdata = pmodel.createData()
    pin.framesForwardKinematics(pmodel, pdata, pinocchio_q(pmodel, values))
    model = load_mujoco(name)
    data = mujoco.MjData(model)
    if mj_root_pose is not None:
        data.qpos[:7] = mj_root_pose
    names = list(values)
    data.qpos[mujoco_qpos_indices(model, names)] = [values[n] for n in names]
    mujoco.mj_kinematics(model, data)
    worst = 0.0
    for frame in frames:
        p_pin = pdata.oMf[pmodel.getFrameId(frame)].translation
        worst = max(worst, float(np.linalg.norm(data.site(frame).xpos - p_pin)))
        R_pin = pdata.oMf[pmodel.getFrameId(frame)].rotation
        np.testing.assert_allclose(data.site(frame).xmat.reshape(3, 3), R_pin, atol=1e-9)
    return worst


def test_pinocchio_and_mujoco_agree_on_rig_flanges_and_fingertips():
    rig = RigCalibration.load()
    frames = [
        f for s in SIDES for f in (f"{s}_flange", f"{s}_hand_base", *inspire.fingertip_frames(s))
    ]
    rng = np.random.default_rng(5)
    worst = max(
        compare_sites_with_pinocchio(
            "bimanual_rig", random_rig_values(rng, rig.arm_variant), frames
        )
        for _ in range(25)
    )
    assert worst < 1e-4, f"{worst:.2e} m"


@pytest.mark.parametrize("variant", rm75.VARIANTS)
def test_pinocchio_and_mujoco_agree_on_the_standalone_arm_flange(variant):
    rng = np.random.default_rng(6)
    limits = rm75.joint_limits(variant)
    for _ in range(25):
        q = rng.uniform(limits.lower, limits.upper)
        values = dict(zip(rm75.joint_names(None), q, strict=True))
        assert compare_sites_with_pinocchio(variant, values, ["flange"]) < 1e-4


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("kind", ["", "_sim"])
def test_pinocchio_and_mujoco_agree_on_standalone_hand_fingertips(side, kind):
    rng = np.random.default_rng(7)
    lower, upper = inspire.sim_joint_limits(side)
    root = [0, 0, 0, 1, 0, 0, 0] if kind == "_sim" else None  # floating base at the origin
    for _ in range(25):
        if kind:
            q = rng.uniform(lower, upper)  # sim hand: every joint independent
        else:
            lo, hi = inspire.actuator_limits(side)
            q = inspire.actuators_to_sim_joints(side, rng.uniform(lo, hi))
        values = dict(zip(inspire.sim_joint_names(side), q, strict=True))
        frames = [*inspire.fingertip_frames(side), f"{side}_hand_base"]
        assert (
            compare_sites_with_pinocchio(f"inspire_hand_{side}{kind}", values, frames, root) < 1e-4
        )


def start_rig_at(model, data, arm_q, hand_act):
    """Rest at the commanded pose: qpos and ctrl agree, mimics consistent."""
    mujoco.mj_resetData(model, data)
    for side in SIDES:
        arm_names = rm75.joint_names(side)
        data.qpos[mujoco_qpos_indices(model, arm_names)] = arm_q
        data.ctrl[mujoco_actuator_indices(model, arm_names)] = arm_q
        q_sim = inspire.actuators_to_sim_joints(side, hand_act)
        data.qpos[mujoco_qpos_indices(model, inspire.sim_joint_names(side))] = q_sim
        data.ctrl[mujoco_actuator_indices(model, inspire.actuator_names(side))] = hand_act
    mujoco.mj_forward(model, data)


@pytest.mark.parametrize(
    "arm_q",
    [
        [0.0, np.pi / 2, 0.0, 0.0, 0.0, 0.0, 0.0],  # both arms straight out: largest gravity load
        [0.4, 0.6, -0.3, 1.4, 0.2, 0.8, -0.5],
    ],
)
def test_rig_holds_a_commanded_pose_under_gravity_for_10_s_within_1_mm(arm_q):
    model = load_mujoco("bimanual_rig")
    data = mujoco.MjData(model)
    start_rig_at(model, data, arm_q, [0.3, 0.3, 0.3, 0.3, 0.2, 0.5])
    assert np.linalg.norm(model.opt.gravity) == pytest.approx(9.81)
    start = {s: data.site(f"{s}_flange").xpos.copy() for s in SIDES}
    worst = 0.0
    for _ in range(round(10.0 / model.opt.timestep)):
        mujoco.mj_step(model, data)
        worst = max(
            worst, *(np.linalg.norm(data.site(f"{s}_flange").xpos - start[s]) for s in SIDES)
        )
    assert worst < 1e-3, f"flange moved {worst * 1e3:.3f} mm"


@pytest.mark.parametrize("name", ["bimanual_rig", "inspire_hand_left"])
def test_mimic_equalities_hold_within_0_01_rad_while_the_fingers_close(name):
    model = load_mujoco(name)
    data = mujoco.MjData(model)
    sides = SIDES if name == "bimanual_rig" else ("left",)
    if name == "bimanual_rig":
        start_rig_at(model, data, [0.0, 0.3, 0.0, 0.3, 0.0, 0.3, 0.0], [0.0] * 6)
    worst = 0.0
    steps = round(1.5 / model.opt.timestep)
    for k in range(steps):
        frac = min(1.0, k / (steps * 0.6))  # ramp open -> closed over 0.9 s, then hold
        for side in sides:
            lo, hi = inspire.actuator_limits(side)
            data.ctrl[mujoco_actuator_indices(model, inspire.actuator_names(side))] = lo + frac * (
                hi - lo
            )
        mujoco.mj_step(model, data)
        for side in sides:
            for m in inspire.mimic_table(side):
                idx = mujoco_qpos_indices(model, [m.joint, m.leader])
                err = abs(data.qpos[idx[0]] - (m.multiplier * data.qpos[idx[1]] + m.offset))
                worst = max(worst, err)
    assert worst < 0.01, f"mimic error {worst:.4f} rad"
    for side in sides:  # and the fingers really closed
        lo, hi = inspire.actuator_limits(side)
        q = data.qpos[mujoco_qpos_indices(model, inspire.driven_joint_names(side))]
        np.testing.assert_allclose(q, hi, atol=0.05)


def test_sim_hand_floats_without_gravity_and_moves_with_the_world_frame_wrist_force():
    model = load_mujoco("inspire_hand_right_sim")
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    data.ctrl[:] = 0.0
    mujoco.mj_step(model, data, nstep=500)
    assert np.linalg.norm(data.qpos[:3]) < 1e-6  # no gravity sag, no drift
    data.ctrl[mujoco_actuator_indices(model, ["right_wrist_force_x"])] = 2.0  # [N]
    mujoco.mj_step(model, data, nstep=1000)
    velocity = data.qvel[:3]
    assert velocity[0] > 0 and abs(velocity[1]) < 1e-3 * velocity[0]
    damping = -model.actuator("right_wrist_force_x").biasprm[2]
    assert velocity[0] == pytest.approx(2.0 / damping, rel=0.05)  # terminal velocity F / c


def test_sim_hand_wrist_torque_turns_the_hand_about_the_world_axis():
    model = load_mujoco("inspire_hand_left_sim")
    data = mujoco.MjData(model)
    data.ctrl[mujoco_actuator_indices(model, ["left_wrist_torque_z"])] = 0.05  # [N·m]
    mujoco.mj_step(model, data, nstep=300)
    omega_world = data.qvel[3:6]  # free joint: angular velocity in the body frame
    R = data.xmat[model.body("L_hand_base_link").id].reshape(3, 3)
    w = R @ omega_world
    assert w[2] > 0 and np.linalg.norm(w[:2]) < 0.05 * w[2]


def test_sim_hand_finger_servos_reach_their_targets():
    model = load_mujoco("inspire_hand_left_sim")
    data = mujoco.MjData(model)
    data.qpos[:7] = [0, 0, 0, 1, 0, 0, 0]
    lower, upper = inspire.sim_joint_limits("left")
    target = lower + 0.6 * (upper - lower)
    names = inspire.sim_joint_names("left")
    data.ctrl[mujoco_actuator_indices(model, names)] = target
    mujoco.mj_step(model, data, nstep=1000)
    np.testing.assert_allclose(data.qpos[mujoco_qpos_indices(model, names)], target, atol=0.02)
