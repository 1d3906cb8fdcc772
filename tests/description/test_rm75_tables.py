"""RM75 parameter tables and the Python API: MDH kinematics, limits, mass properties, names."""

from __future__ import annotations

import numpy as np
import pytest
from description_facts import RM75_B_Q2_FRAME_ORIGINS, RM75_FLANGE

from maniptrans_description import rm75
from maniptrans_description.errors import DescriptionError


@pytest.mark.parametrize("variant", rm75.VARIANTS)
def test_mdh_fk_reproduces_the_flange_poses_of_the_facts_sheet(variant):
    for q, p, R in RM75_FLANGE[variant]:
        T = rm75.mdh_fk(variant, q)
        np.testing.assert_allclose(T[:3, 3], p, atol=1e-6)
        np.testing.assert_allclose(T[:3, :3], R, atol=1e-6)


def test_mdh_frames_pass_through_the_published_intermediate_origins():
    frames = rm75.mdh_frames("rm75_b", [1.0, 0.5, -1.0, -1.0, 0.5, 1.0, -0.5])
    np.testing.assert_allclose(frames[:, :3, 3], RM75_B_Q2_FRAME_ORIGINS, atol=1e-5)


def test_the_6f_flange_lies_28_5_mm_further_along_the_flange_normal_than_the_b_flange():
    q = np.random.default_rng(0).uniform(-2, 2, 7)
    T_b, T_f = rm75.mdh_fk("rm75_b", q), rm75.mdh_fk("rm75_6f", q)
    np.testing.assert_allclose(T_f[:3, :3], T_b[:3, :3], atol=1e-12)
    np.testing.assert_allclose(T_f[:3, 3] - T_b[:3, 3], 0.0285 * T_b[:3, 2], atol=1e-12)


def test_joint_names_carry_the_side_and_count_from_one():
    assert rm75.joint_names("left") == [f"left_arm_joint_{i}" for i in range(1, 8)]
    assert rm75.joint_names("right")[6] == "right_arm_joint_7"
    assert rm75.joint_names(None)[0] == "arm_joint_1"


def test_joint_limits_are_the_documented_degrees_in_radians():
    limits = rm75.joint_limits("rm75_b")
    np.testing.assert_allclose(
        np.rad2deg(limits.upper), [178, 130, 178, 135, 178, 128, 360], atol=1e-9
    )
    np.testing.assert_allclose(limits.lower, -limits.upper)
    assert limits.velocity.shape == limits.effort.shape == (7,)
    with pytest.raises(ValueError):
        limits.upper[0] = 0.0  # read-only: a caller cannot corrupt the shared table


@pytest.mark.parametrize("variant", rm75.VARIANTS)
def test_link_inertias_about_the_com_are_physically_valid(variant):
    for inertial in rm75.link_inertials(variant):
        eig = np.linalg.eigvalsh(inertial.tensor())
        assert inertial.mass > 0 and np.all(eig > 0)
        assert eig[2] <= eig[0] + eig[1] + 1e-12  # triangle inequality of principal moments


def test_parallel_axis_conversion_reproduces_the_manufacturer_urdf_inertia_of_link_1():
    # rm_models RM75-B link_1 (an independent export): ixx 0.0024876, iyz 0.00017939, izz 0.0014506
    ixx, _, _, _, iyz, izz = rm75.link_inertials("rm75_b")[1].inertia
    np.testing.assert_allclose([ixx, iyz, izz], [0.0024876, 0.00017939, 0.0014506], rtol=2e-4)


def test_total_masses_are_the_manufacturer_cad_values():
    assert sum(i.mass for i in rm75.link_inertials("rm75_b")) == pytest.approx(7.776)
    assert sum(i.mass for i in rm75.link_inertials("rm75_6f")) == pytest.approx(7.776 + 0.141)


@pytest.mark.parametrize("variant", rm75.VARIANTS)
def test_link_boxes_at_zero_cover_the_whole_column_from_base_to_flange(variant):
    # at q = 0 the arm stands straight up; misplaced boxes (wrong link frame) would leave gaps
    frames = [np.eye(4), *rm75.mdh_frames(variant, np.zeros(7))]
    extents = rm75.link_extents(variant)
    top = rm75.mdh_fk(variant, np.zeros(7))[2, 3]
    for z in np.linspace(0.0, top, 400):
        p = np.array([0.0, 0.0, z, 1.0])
        inside = [
            np.all(local >= lo - 1e-9) and np.all(local <= hi + 1e-9)
            for T, (lo, hi) in zip(frames, extents, strict=True)
            for local in [np.linalg.solve(T, p)[:3]]
        ]
        assert any(inside), f"z = {z:.4f} m lies in no link box"


def test_unknown_variant_is_refused_with_the_valid_choices():
    with pytest.raises(DescriptionError, match=r"rm75_b.*rm75_6f.*'rm65'"):
        rm75.mdh_table("rm65")


def test_wrong_joint_vector_is_refused_with_its_shape():
    with pytest.raises(DescriptionError, match="7 finite angles"):
        rm75.mdh_fk("rm75_b", [0.0] * 6)
    with pytest.raises(DescriptionError):
        rm75.mdh_fk("rm75_b", [0.0] * 6 + [float("nan")])
