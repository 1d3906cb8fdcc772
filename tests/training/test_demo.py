"""Demo format, loaders, resampling, mirroring, the skeleton and the scripted tasks."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from maniptrans_training.demo import (
    KEYPOINT_NAMES,
    TIP_INDICES,
    Demo,
    HandDemo,
    load_demo,
    load_reference_sequence,
    merge_hands,
    mirror_demo,
    resample_demo,
    save_demo,
    wrist_frame_from_keypoints,
)
from maniptrans_training.errors import TrainingError
from maniptrans_training.rotations import rotation_angle
from maniptrans_training.skeleton import HandPose, HandSkeleton, keypoints_local
from maniptrans_training.synthetic import TASKS, make_demo


@pytest.fixture(scope="module")
def demos() -> dict[str, Demo]:
    return {k: make_demo(k, seed=1) for k in TASKS}


def _demos_close(a: Demo, b: Demo, atol: float = 1e-9) -> None:
    assert a.sides == b.sides and a.num_frames == b.num_frames
    for s in a.sides:
        np.testing.assert_allclose(a.hands[s].keypoints, b.hands[s].keypoints, atol=atol)
        np.testing.assert_allclose(a.hands[s].wrist_pos, b.hands[s].wrist_pos, atol=atol)
        np.testing.assert_allclose(a.hands[s].wrist_rot, b.hands[s].wrist_rot, atol=atol)
    for oa, ob in zip(a.objects, b.objects, strict=True):
        np.testing.assert_allclose(oa.poses, ob.poses, atol=atol)
        np.testing.assert_allclose(oa.vertices, ob.vertices, atol=atol)


def test_keypoint_order_has_wrist_then_four_points_per_finger():
    assert len(KEYPOINT_NAMES) == 21 and KEYPOINT_NAMES[0] == "wrist"
    assert [KEYPOINT_NAMES[i] for i in TIP_INDICES] == [
        f"{f}_tip" for f in ("thumb", "index", "middle", "ring", "pinky")
    ]


def test_demo_npz_round_trip_keeps_every_array(tmp_path, demos):
    d = demos["pour"]
    back = load_demo(save_demo(d, tmp_path / "pour.npz"))
    _demos_close(d, back)
    assert [o.name for o in back.objects] == ["bottle", "cup"]
    assert back.hands["left"].object_index == 1
    assert back.meta == {"primitive": "pour", "interaction_mode": "bimanual"}


def test_demo_validation_names_the_key_and_expected_shape(demos):
    h = demos["lift_box"].hands["right"]
    bad = HandDemo(h.wrist_pos, h.wrist_rot, h.keypoints[:, :20], 0)
    with pytest.raises(TrainingError, match=r"'right_keypoints' expected shape \(150, 21, 3\)"):
        Demo("x", 60.0, {"right": bad}, demos["lift_box"].objects)
    with pytest.raises(TrainingError, match="'fps' must be > 0"):
        Demo("x", 0.0, {"right": h}, demos["lift_box"].objects)
    not_rot = HandDemo(h.wrist_pos, h.wrist_rot * 2.0, h.keypoints, 0)
    with pytest.raises(TrainingError, match="not a rotation"):
        Demo("x", 60.0, {"right": not_rot}, demos["lift_box"].objects)


def test_keypoints_in_millimetres_are_refused(demos):
    h = demos["lift_box"].hands["right"]
    mm = HandDemo(h.wrist_pos, h.wrist_rot, h.keypoints * 1000.0, 0)
    with pytest.raises(TrainingError, match="expected metres"):
        Demo("x", 60.0, {"right": mm}, demos["lift_box"].objects)


def test_broken_npz_is_refused_with_its_path(tmp_path):
    p = tmp_path / "broken.npz"
    np.savez(p, fps=np.array(60.0))
    with pytest.raises(TrainingError, match=r"broken\.npz: missing key 'sides'"):
        load_demo(p)


def test_resampling_keeps_endpoints_and_linear_motion(demos):
    d = demos["lift_box"]
    up = resample_demo(d, 120.0)
    assert up.num_frames == 2 * d.num_frames - 1
    # every second frame of the up-sampled demo is an original frame
    np.testing.assert_allclose(up.hands["left"].keypoints[::2], d.hands["left"].keypoints)
    np.testing.assert_allclose(up.objects[0].poses[::2], d.objects[0].poses, atol=1e-9)
    # midpoints of positions are averages; rotations stay rotations
    mid = up.hands["right"].wrist_pos[1::2]
    np.testing.assert_allclose(
        mid, 0.5 * (d.hands["right"].wrist_pos[:-1] + d.hands["right"].wrist_pos[1:])
    )
    back = resample_demo(up, 60.0)
    _demos_close(d, back, atol=1e-9)


def test_resampling_a_120hz_demo_to_60hz_takes_every_second_frame(demos):
    d = resample_demo(demos["pour"], 120.0)
    down = resample_demo(d, 60.0)
    assert down.fps == 60.0
    np.testing.assert_allclose(down.hands["right"].keypoints, d.hands["right"].keypoints[::2])


def test_mirroring_swaps_sides_and_twice_is_identity(demos):
    d = demos["handover"]
    m = mirror_demo(d, axis=1)
    # the mirrored right hand is the new left hand, reflected through y = 0
    np.testing.assert_allclose(
        m.hands["left"].keypoints, d.hands["right"].keypoints * [1.0, -1.0, 1.0]
    )
    for s in m.sides:
        R = m.hands[s].wrist_rot
        np.testing.assert_allclose(np.linalg.det(R), 1.0)
        # the mirrored wrist frame is the one its own keypoints define for the new side
        frame = wrist_frame_from_keypoints(m.hands[s].keypoints, s)
        ref = wrist_frame_from_keypoints(d.hands[s].keypoints, s)
        orig = d.hands[s].wrist_rot
        np.testing.assert_allclose(
            rotation_angle(frame, R).max(), rotation_angle(ref, orig).max(), atol=1e-9
        )
    _demos_close(mirror_demo(m, axis=1), d, atol=1e-12)


def test_mirror_about_an_offset_plane_keeps_points_on_that_plane(demos):
    d = demos["lift_box"]
    m = mirror_demo(d, axis=0, origin=0.3)
    np.testing.assert_allclose(
        m.hands["left"].wrist_pos[:, 0], 0.6 - d.hands["right"].wrist_pos[:, 0]
    )


def test_skeleton_left_hand_is_the_mirror_of_the_right_and_bones_keep_length():
    skel = HandSkeleton()
    T = 5
    pose = HandPose.from_grip(np.linspace(0, 1, T))
    r = keypoints_local(skel, pose, "right")
    left = keypoints_local(skel, pose, "left")
    np.testing.assert_allclose(left, r * [1.0, 1.0, -1.0])
    for f in range(4):
        b = 5 + 4 * f
        for j in range(3):
            seg = np.linalg.norm(r[:, b + j + 1] - r[:, b + j], axis=1)
            np.testing.assert_allclose(seg, skel.phalanges[f][j])
    # flexing first moves the fingertips toward the palm side (−x) and curls them in
    assert r[1, 8, 0] < r[0, 8, 0] < 0.0
    assert np.all(np.diff(np.linalg.norm(r[:, 8] - r[:, 5], axis=1)) < 0)
    big = keypoints_local(HandSkeleton(scale=1.2), pose, "right")
    np.testing.assert_allclose(big, 1.2 * r)


def test_scripted_objects_move_rigidly_with_the_hand_that_holds_them(demos):
    d = demos["pour"]
    for side, obj in (("right", 0), ("left", 1)):
        h = d.hands[side]
        P = d.objects[obj].poses
        i0 = int(0.95 * d.fps)
        # object expressed in the wrist frame is constant after the grasp
        rel = np.einsum("tji,tj->ti", h.wrist_rot[i0:], P[i0:, :3, 3] - h.wrist_pos[i0:])
        np.testing.assert_allclose(rel, np.broadcast_to(rel[0], rel.shape), atol=1e-9)
    # the bottle is really tilted, the cup stays upright
    z_axis = d.objects[0].poses[:, :3, 2]
    assert np.degrees(np.arccos(z_axis[:, 2].min())) > 80
    np.testing.assert_allclose(
        d.objects[1].poses[:, :3, :3], np.eye(3)[None].repeat(180, 0), atol=1e-12
    )


def test_handover_passes_the_object_from_right_to_left(demos):
    d = demos["handover"]
    y = d.objects[0].poses[:, 1, 3]
    assert y[0] < -0.05 and y[-1] > 0.05
    dist_r = np.linalg.norm(d.hands["right"].keypoints[-1, 8] - d.objects[0].poses[-1, :3, 3])
    dist_l = np.linalg.norm(d.hands["left"].keypoints[-1, 8] - d.objects[0].poses[-1, :3, 3])
    assert dist_l < 0.12 < dist_r


def _write_reference(path, demo: Demo, side: str, fmt: str):
    h = demo.hands[side]
    arrays = {
        "obj_trajectory": demo.objects[0].poses,
        "wrist_pos": h.wrist_pos,
        "wrist_rot": np.zeros_like(h.wrist_pos),  # a foreign convention: ignored by default
        "obj_verts": demo.objects[0].vertices,
    }
    for i, name in enumerate(KEYPOINT_NAMES[1:], start=1):
        arrays[f"mano_joints/{name}"] = h.keypoints[:, i]
    if fmt == "npz":
        np.savez(path, **arrays)
    else:
        with h5py.File(path, "w") as f:
            for k, v in arrays.items():
                f.create_dataset(k, data=v)


@pytest.mark.parametrize("fmt", ["npz", "hdf5"])
def test_reference_sequence_loader_reads_npz_and_hdf5(tmp_path, demos, fmt):
    d = demos["lift_box"]
    paths = {}
    for side in ("right", "left"):
        paths[side] = tmp_path / f"{side}.{fmt}"
        _write_reference(paths[side], d, side, fmt)
    r = load_reference_sequence(paths["right"], "right")
    left = load_reference_sequence(paths["left"], "left")
    both = merge_hands(r, left)
    np.testing.assert_allclose(
        both.hands["left"].keypoints[:, 1:], d.hands["left"].keypoints[:, 1:]
    )
    assert both.hands["left"].object_index == 1
    # the wrist frame rebuilt from keypoints agrees with the scripted one within a few degrees
    ang = rotation_angle(both.hands["right"].wrist_rot, d.hands["right"].wrist_rot)
    assert np.degrees(ang).max() < 10.0


def test_reference_loader_refuses_pickles_and_missing_joints(tmp_path, demos):
    p = tmp_path / "seq.pkl"
    p.write_bytes(b"\x80\x04")
    with pytest.raises(TrainingError, match="pickle is refused"):
        load_reference_sequence(p, "right")
    q = tmp_path / "seq.npz"
    np.savez(q, obj_trajectory=np.tile(np.eye(4), (3, 1, 1)), wrist_pos=np.zeros((3, 3)))
    with pytest.raises(
        TrainingError, match=r"missing key 'wrist_rot' \(expected shape \(3, 3\)\)"
    ):
        load_reference_sequence(q, "right")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scripted_hands_stay_above_the_table_in_every_frame(seed):
    # a hand inside the table is no demonstration: the tracker would be pushed out of it and
    # the rig's pre-flight check refuses such a task
    from maniptrans_training.synthetic import TABLE_CLEARANCE

    for task in TASKS:
        demo = make_demo(task, seed)
        for side, h in demo.hands.items():
            lowest = h.keypoints[..., 2].min()
            assert lowest >= TABLE_CLEARANCE - 1e-9, (task, side, lowest)
        for o in demo.objects:  # objects start on the table top and never sink into it
            z0 = (o.poses[0] @ np.c_[o.vertices, np.ones(len(o.vertices))].T)[2].min()
            assert abs(z0) < 1e-6, (task, o.name, z0)


def test_signed_distance_of_the_scripted_primitives():
    from maniptrans_training.synthetic import Shape

    box = Shape("box", (0.1, 0.2, 0.3))
    pts = np.array([[0, 0, 0], [0.06, 0, 0], [0, 0, 0.16], [0.06, 0.11, 0], [0.04, 0, 0]])
    np.testing.assert_allclose(
        box.signed_distance(pts), [-0.05, 0.01, 0.01, np.hypot(0.01, 0.01), -0.01], atol=1e-12
    )
    cyl = Shape("cylinder", (0.03, 0.1))
    pts = np.array([[0, 0, 0], [0.04, 0, 0], [0, 0.03, 0.07], [0.02, 0, 0.0]])
    np.testing.assert_allclose(cyl.signed_distance(pts), [-0.03, 0.01, 0.02, -0.01], atol=1e-12)
    verts, _ = cyl.mesh()
    assert np.allclose(np.ptp(verts, axis=0), [0.06, 0.06, 0.1], atol=1e-3)


@pytest.mark.parametrize("task", sorted(TASKS))
def test_scripted_fingers_rest_on_the_object_they_hold(task):
    # a grasp holds by contact: while a hand carries its object, its closest fingertip (a bone
    # end, a pad's thickness inside the skin) sits within a few mm of the surface, never inside
    from maniptrans_training.rotations import pose_matrix
    from maniptrans_training.synthetic import TIP_GAP, Shape

    demo = make_demo(task, 0)
    for side, h in demo.hands.items():
        o = demo.objects[h.object_index]
        ext = np.ptp(o.vertices, axis=0)
        if o.name == "box":
            shape = Shape("box", tuple(ext))
        else:
            shape = Shape("cylinder", (ext[0] / 2, ext[2]))
        rel = np.linalg.inv(pose_matrix(h.wrist_rot, h.wrist_pos)) @ o.poses
        moving = np.linalg.norm(np.diff(o.poses[:, :3, 3], axis=0), axis=1) > 1e-6
        rigid = np.all(np.isclose(rel[1:], rel[:-1], atol=1e-9), axis=(1, 2))
        held = np.flatnonzero(moving & rigid) + 1  # this hand carries the object
        assert held.size > 10, (task, side)
        tips = h.keypoints[held][:, [8, 12, 16, 20]]
        P = o.poses[held]
        local = np.einsum("tji,tkj->tki", P[:, :3, :3], tips - P[:, None, :3, 3])
        near = shape.signed_distance(local).min(axis=1)
        assert near.min() > 0.0 and near.max() < TIP_GAP + 0.003, (task, side, near)
