"""Kinematic retargeting human -> sim Inspire hand (the paper's first step, "Retarget-only").

Per frame, the wrist pose (6) and the 12 joints are fitted so that robot link origins match the
mapped human keypoints, fingertips weighted thumb 25, index 20, middle 10, ring 7, pinky 5 (the
facts) and every other mapped point 1. All frames are solved at once.

Optionally (``RetargetConfig.clearance_weight`` > 0; not in the paper) the robot hand is also kept
out of the objects: points spread over every link's collision box are pushed out of each
object's convex hull. Matching keypoints alone can put a robot link that is bulkier than the
human bone it stands for deep inside the object (the Inspire thumb's proximal link sat 47 mm
inside the bottle of ``pour``, see :mod:`maniptrans_training.penetration`); a tracker is then
stopped by the object before it reaches the grasp.

Solver: batched Levenberg–Marquardt in numpy with the analytic point Jacobian of
:class:`sim_hand.HandKinematics`, joint limits by projection, and temporal smoothness as a
quadratic pull of each frame's joints and wrist toward the mean of its neighbours (refreshed
every iteration, a Jacobi sweep on the coupled problem). We picked numpy LM over torch + Adam
(the reference's choice) because it is both faster and more accurate on this CPU: on the
180-frame "pour" demo it reaches 0.06 cm mean fingertip error in ~6 ms/frame, while torch Adam
on the same cost is still at 2.4–3.6 cm after the same wall time and at ~0.9 cm after five times
as long (``make bench``, record ``retarget.tip_error_at_equal_time``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import trimesh
from scipy.spatial import ConvexHull
from scipy.spatial.transform import Rotation

from maniptrans_description import inspire
from maniptrans_training.demo import Demo, DemoObject, HandDemo, Side
from maniptrans_training.errors import TrainingError
from maniptrans_training.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from maniptrans_training.sim_hand import HandKinematics

# human keypoint index -> robot link (without the L_/R_ prefix)
KEYPOINT_TO_LINK: dict[int, str] = {
    0: "hand_base_link",
    1: "thumb_proximal_base",
    2: "thumb_intermediate",
    3: "thumb_distal",
    4: "thumb_tip",
    5: "index_proximal",
    6: "index_intermediate",
    8: "index_tip",
    9: "middle_proximal",
    10: "middle_intermediate",
    12: "middle_tip",
    13: "ring_proximal",
    14: "ring_intermediate",
    16: "ring_tip",
    17: "pinky_proximal",
    18: "pinky_intermediate",
    20: "pinky_tip",
}
TIP_KEYPOINTS = (4, 8, 12, 16, 20)
TIP_WEIGHTS = (25.0, 20.0, 10.0, 7.0, 5.0)  # thumb..pinky (facts)


@dataclass(frozen=True)
class RetargetConfig:
    """Solver settings.

    Attributes:
        iterations: Levenberg–Marquardt iterations.
        damping: initial LM damping (relative to the weighted Gauss–Newton matrix scale).
        other_weight: weight of every mapped non-tip keypoint.
        smooth_joint: weight of the pull of q_t toward (q_{t−1} + q_{t+1}) / 2 [1/rad²·m²].
        smooth_wrist: same for the wrist position and rotation.
        wrist_rot_prior: pull of the wrist rotation toward the human wrist rotation.
        q_init: initial joint angle [rad] for every joint (clipped to its limits).
        clearance_weight: weight of the hand-object non-penetration term (per point, same units
            as the keypoint weights); 0 turns it off (the paper's retarget).
        clearance: wanted distance [m] of the collision boxes from the object surfaces.
        clearance_grid: points per box edge (``n³`` points per collision box).
        clearance_iterations: the last this many iterations include the term (the first ones
            fit the keypoints alone, which is cheaper and a good start).
    """

    iterations: int = 40
    damping: float = 1e-3
    other_weight: float = 1.0
    smooth_joint: float = 1e-4
    smooth_wrist: float = 1e-2
    wrist_rot_prior: float = 1e-5
    q_init: float = 0.3
    clearance_weight: float = 0.0
    clearance: float = 0.0
    clearance_grid: int = 3
    clearance_iterations: int = 15


COLLISION_AWARE = RetargetConfig(clearance_weight=30.0, clearance_iterations=40, q_init=0.0)
"""Keypoints plus hand-object clearance from the first iteration, joints starting at 0 (the
thumb out of the palm, so that the term keeps it from entering the object rather than having
to pull it back out). On the synthetic demos it takes the deepest robot link from 8.6 / 31.9 /
47.2 mm (lift_box / handover / pour) to 3.2 / 8.2 / 2.7 mm, at a mean fingertip error of
0.10 / 0.31 / 0.36 cm instead of 0.06 and ~15-30× the solve time. Not the training default:
on the CPU preset it did not make ManipTrans better (``rl/NOTES.md``); ``--clearance-weight``
on the ``maniptrans-train`` commands turns it on."""


def clearance_config(weight: float) -> RetargetConfig:
    """The paper's retarget at ``weight`` 0, else :data:`COLLISION_AWARE` at that weight."""
    if not weight >= 0:
        raise TrainingError(f"retarget: the clearance weight must be >= 0, got {weight}")
    return replace(COLLISION_AWARE, clearance_weight=weight) if weight > 0 else RetargetConfig()


class _Clearance:
    """Hand-object penetration as per-point residuals, both ways round.

    * points spread over every collision box of the hand, against each object's convex hull
      (distance ``max_f (n_f · x + d_f)`` over the hull's face planes: exact inside);
    * points on each object's surface (vertices, edges every ``spacing``, faces), against the
      hand's boxes: catches an object edge entering a large box between its sample points.

    Every active point gives one residual ``√w · (distance − clearance)`` and the row
    ``∂distance/∂(base translation, base rotation, joints)``.
    """

    def __init__(
        self,
        kin: HandKinematics,
        objects: Sequence[DemoObject],
        T: int,
        grid: int,
        spacing: float = 0.004,
    ) -> None:
        self.kin = kin
        g = np.linspace(-1.0, 1.0, max(2, grid))
        cube = np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1).reshape(-1, 3)
        box_link, box_c, box_R, box_h, pt_link, pt_box, pt_local = [], [], [], [], [], [], []
        for link in inspire.link_table(kin.side):
            for shape in link.shapes:
                if shape.visual_only or shape.kind != "box":
                    continue
                R = Rotation.from_euler("xyz", shape.rpy).as_matrix()
                h = np.asarray(shape.size, float) / 2.0
                box_link.append(kin.link_index(link.name))
                box_c.append(np.asarray(shape.xyz, float))
                box_R.append(R)
                box_h.append(h)
                pts = box_c[-1] + (cube * h) @ R.T
                pt_link += [box_link[-1]] * len(pts)
                pt_box += [len(box_link) - 1] * len(pts)
                pt_local.append(pts)
        self.box_link = np.array(box_link)
        self.box_c, self.box_R, self.box_h = np.array(box_c), np.array(box_R), np.array(box_h)
        self.box_radius = np.linalg.norm(self.box_h, axis=1)  # bounding spheres [m]
        self.pt_link = np.array(pt_link)
        self.pt_box = np.array(pt_box)
        self.pt_local = np.concatenate(pt_local)
        self.planes, self.poses, self.samples, self.sample_sq = [], [], [], []
        for o in objects:
            poses = np.asarray(o.poses, float)
            if poses.shape != (T, 4, 4):
                raise TrainingError(
                    f"retarget: object {o.name!r} has poses {poses.shape}, expected ({T}, 4, 4)"
                )
            verts = np.asarray(o.vertices, float)
            self.planes.append(ConvexHull(verts).equations)
            self.poses.append(poses)
            self.samples.append(_surface_samples(verts, np.asarray(o.faces, int), spacing))
            self.sample_sq.append(np.einsum("sk,sk->s", self.samples[-1], self.samples[-1]))

    def terms(self, fk, clearance: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Active points: frame (A,), distance − clearance (A,) [m], Jacobian rows (A, 18)."""
        ts, res, rows = [], [], []
        x = fk.p[:, self.pt_link] + np.einsum("tmij,mj->tmi", fk.R[:, self.pt_link], self.pt_local)
        objects = zip(self.planes, self.poses, self.samples, self.sample_sq, strict=True)
        for planes, pose, samples, sq in objects:
            Ro, to = pose[:, :3, :3], pose[:, :3, 3]
            # hand points inside the object
            xo = np.matmul(x - to[:, None], Ro)
            d = xo @ planes[:, :3].T + planes[:, 3]
            f = np.argmax(d, axis=-1)
            # A box whose centre is inside the hull straddles it: its points' nearest faces lie
            # on opposite sides and their pushes cancel. Push the whole box out through the
            # face nearest its centre instead.
            Rb = fk.R[:, self.box_link]
            cw = fk.p[:, self.box_link] + np.einsum("tbij,bj->tbi", Rb, self.box_c)
            dc = np.matmul(cw - to[:, None], Ro) @ planes[:, :3].T + planes[:, 3]
            deep = dc.max(axis=-1) < 0  # (T, B)
            fc = np.argmax(dc, axis=-1)
            f = np.where(deep[:, self.pt_box], fc[:, self.pt_box], f)
            sd = np.take_along_axis(d, f[..., None], axis=-1)[..., 0]
            t, m = np.nonzero(sd < clearance)
            if t.size:
                n = np.einsum("aij,aj->ai", Ro[t], planes[f[t, m], :3])
                ts.append(t)
                res.append(sd[t, m] - clearance)
                rows.append(self._rows(fk, t, self.pt_link[m], x[t, m], n))
            # object points inside the hand's boxes: only those within a box's bounding sphere
            # (radius |half extents| + clearance) can be closer than the clearance to it
            reach = np.sqrt(sq.max()) + max(clearance, 0.0) + 1e-3
            for b, link in enumerate(self.box_link):
                centre = fk.p[:, link] + fk.R[:, link] @ self.box_c[b]
                rb = self.box_radius[b] + max(clearance, 0.0)
                near = np.flatnonzero(np.linalg.norm(centre - to, axis=1) < reach + rb)
                if not near.size:
                    continue
                c = np.einsum("nki,nk->ni", Ro[near], centre[near] - to[near])  # object frame
                d2 = sq[None] - 2.0 * (c @ samples.T) + np.einsum("nk,nk->n", c, c)[:, None]
                i, p = np.nonzero(d2 < rb * rb)
                if not i.size:
                    continue
                t = near[i]
                xw = np.einsum("aij,aj->ai", Ro[t], samples[p]) + to[t]  # (A, 3) world
                Rl = fk.R[t, link] @ self.box_R[b]  # box frames in the world (A, 3, 3)
                y = np.einsum("aki,ak->ai", Rl, xw - centre[t])  # the points in the box frame
                qd = np.abs(y) - self.box_h[b]
                outside = np.linalg.norm(np.maximum(qd, 0.0), axis=-1)
                sd = outside + np.minimum(qd.max(axis=-1), 0.0)
                hit = np.flatnonzero(sd < clearance)
                if not hit.size:
                    continue
                qa, ya, Rl, t, xw = qd[hit], y[hit], Rl[hit], t[hit], xw[hit]
                inside = qa.max(axis=-1) < 0
                grad = np.where(
                    inside[:, None],
                    np.eye(3)[np.argmax(qa, axis=-1)] * np.sign(ya),
                    np.maximum(qa, 0.0) * np.sign(ya) / np.maximum(outside[hit], 1e-12)[:, None],
                )
                n = -np.einsum("aij,aj->ai", Rl, grad)  # the hand moving away from the point
                ts.append(t)
                res.append(sd[hit] - clearance)
                rows.append(self._rows(fk, t, np.full(t.size, link), xw, n))
        if not ts:
            return np.zeros(0, int), np.zeros(0), np.zeros((0, 18))
        return np.concatenate(ts), np.concatenate(res), np.concatenate(rows)

    def _rows(self, fk, t, link, x, n) -> np.ndarray:
        """(A, 18) n · ∂x/∂(params) for points x (A, 3) fixed to ``link`` (A,) at frames t."""
        kin = self.kin
        rows = np.zeros((t.size, 18))
        rows[:, 0:3] = n
        rows[:, 3:6] = np.cross(x - fk.p[t, 0], n)  # n · (ω × r) = ω · (r × n)
        for j in range(12):
            lj = kin._joint_link[j]
            a = fk.R[t, lj] @ kin._axis[lj - 1]
            rows[:, 6 + j] = kin.moves[link, j] * np.einsum(
                "ai,ai->a", a, np.cross(x - fk.p[t, lj], n)
            )
        return rows


def _surface_samples(verts: np.ndarray, faces: np.ndarray, spacing: float) -> np.ndarray:
    """Vertices, points every ``spacing`` [m] along the edges and a deterministic spread over
    the faces of a mesh (object frame)."""
    pts = [verts]
    edges = np.unique(np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1), axis=0)
    for i, j in edges:
        n = int(np.linalg.norm(verts[j] - verts[i]) // spacing)
        if n > 0:
            s = np.arange(1, n + 1)[:, None] / (n + 1)
            pts.append(verts[i] + s * (verts[j] - verts[i]))
    mesh = trimesh.Trimesh(verts, faces, process=False)
    count = int(min(2000, max(100, mesh.area / (2.5 * spacing) ** 2)))
    pts.append(np.asarray(trimesh.sample.sample_surface(mesh, count, seed=0)[0]))
    return np.concatenate(pts)


@dataclass(frozen=True)
class HandRetarget:
    """Result for one hand over T frames.

    Attributes:
        wrist_pos: (T, 3) [m]; wrist_rot: (T, 3, 3); wrist_aa: (T, 3) axis-angle [rad].
        q: (T, 12) joints [rad], sim-joint order.
        bodies: (T, 18, 3) all link origins [m] (base first, tree order).
        tip_error: (T, 5) fingertip distance to the human tips [m], thumb..pinky.
        target_points: (T, K, 3) human keypoints that have a robot counterpart.
        robot_points: (T, K, 3) the matching robot link origins.
    """

    side: Side
    wrist_pos: np.ndarray
    wrist_rot: np.ndarray
    q: np.ndarray
    bodies: np.ndarray
    tip_error: np.ndarray
    target_points: np.ndarray
    robot_points: np.ndarray

    @property
    def wrist_aa(self) -> np.ndarray:
        return matrix_to_axis_angle(self.wrist_rot)

    @property
    def mean_tip_error(self) -> float:
        """[m] over frames and fingertips."""
        return float(np.mean(self.tip_error))

    @property
    def tips(self) -> np.ndarray:
        """(T, 5, 3) robot fingertips [m]."""
        return self.robot_points[:, [list(KEYPOINT_TO_LINK).index(k) for k in TIP_KEYPOINTS]]


def _neighbour_mean(x: np.ndarray) -> np.ndarray:
    """Mean of the previous and next frame (one-sided at the ends)."""
    if x.shape[0] < 2:
        return x.copy()
    out = np.empty_like(x)
    out[1:-1] = 0.5 * (x[:-2] + x[2:])
    out[0], out[-1] = x[1], x[-2]
    return out


def retarget_hand(
    hand: HandDemo,
    side: Side,
    config: RetargetConfig = RetargetConfig(),
    objects: Sequence[DemoObject] = (),
) -> HandRetarget:
    """Fit wrist pose and joints of the ``side`` sim hand to one human hand's keypoints
    (and, with ``config.clearance_weight`` > 0, keep it out of ``objects``)."""
    kin = HandKinematics(side)
    prefix = kin.link_names[0].split("_", 1)[0]
    kp_idx = list(KEYPOINT_TO_LINK)
    links = [kin.link_index(f"{prefix}_{KEYPOINT_TO_LINK[k]}") for k in kp_idx]
    w = np.full(len(kp_idx), config.other_weight)
    for k, wt in zip(TIP_KEYPOINTS, TIP_WEIGHTS, strict=True):
        w[kp_idx.index(k)] = wt
    target = np.asarray(hand.keypoints, float)[:, kp_idx]  # (T, K, 3)
    T, K = target.shape[:2]
    if T < 1:
        raise TrainingError("retarget_hand: the hand has no frames")

    p = np.asarray(hand.wrist_pos, float).copy()
    R = np.asarray(hand.wrist_rot, float).copy()
    R_human = R.copy()
    q = np.clip(np.full((T, 12), config.q_init), kin.lower, kin.upper)
    sw = np.sqrt(np.repeat(w, 3))  # (3K,)
    mu = np.full(T, config.damping)

    clear = (
        _Clearance(kin, objects, T, config.clearance_grid)
        if config.clearance_weight > 0 and objects
        else None
    )
    sc = np.sqrt(config.clearance_weight)

    def cost_terms(p, R, q, with_clear=False):
        """fk, keypoint residuals (T, 3K), per-frame cost, clearance terms (or None)."""
        fk = kin.forward(R, p, q)
        r = (fk.p[:, links] - target).reshape(T, 3 * K) * sw
        cost = np.sum(r * r, axis=1)
        if clear is None or not with_clear:
            return fk, r, cost, None
        t, rc, rows = clear.terms(fk, config.clearance)
        cost = cost + np.bincount(t, (sc * rc) ** 2, minlength=T)
        return fk, r, cost, (t, sc * rc, sc * rows)

    fk, r, cost, cx = cost_terms(p, R, q)
    eye = np.eye(18)
    for it in range(config.iterations):
        on = clear is not None and it >= config.iterations - config.clearance_iterations
        if on and cx is None:  # the term starts: the costs to beat include it from now on
            fk, r, cost, cx = cost_terms(p, R, q, True)
        J = kin.point_jacobian(fk, links).reshape(T, 3 * K, 18) * sw[None, :, None]
        H = np.einsum("tki,tkj->tij", J, J)
        g = np.einsum("tki,tk->ti", J, r)
        if cx is not None:
            t, rc, rows = cx
            np.add.at(H, t, rows[:, :, None] * rows[:, None, :])
            np.add.at(g, t, rows * rc[:, None])
        # temporal smoothness and priors (diagonal terms on the 18 parameters)
        q_bar = _neighbour_mean(q)
        p_bar = _neighbour_mean(p)
        aa = matrix_to_axis_angle(np.einsum("tji,tjk->tik", R, _neighbour_mean_rot(R)))
        H[:, 6:, 6:] += config.smooth_joint * np.eye(12)
        g[:, 6:] += config.smooth_joint * (q - q_bar)
        H[:, 0:3, 0:3] += config.smooth_wrist * np.eye(3)
        g[:, 0:3] += config.smooth_wrist * (p - p_bar)
        H[:, 3:6, 3:6] += (config.smooth_wrist + config.wrist_rot_prior) * np.eye(3)
        # world-frame rotation residuals: R_bar ≈ exp(aa_w) R, with aa_w = R·aa (body->world)
        g[:, 3:6] -= config.smooth_wrist * np.einsum("tij,tj->ti", R, aa)
        aa_h = matrix_to_axis_angle(np.einsum("tji,tjk->tik", R, R_human))
        g[:, 3:6] -= config.wrist_rot_prior * np.einsum("tij,tj->ti", R, aa_h)
        scale = np.mean(np.diagonal(H, axis1=1, axis2=2), axis=1)
        A = H + (mu * scale)[:, None, None] * eye
        step = -np.linalg.solve(A, g[..., None])[..., 0]
        p_new = p + step[:, 0:3]
        R_new = axis_angle_to_matrix(step[:, 3:6]) @ R
        q_new = np.clip(q + step[:, 6:], kin.lower, kin.upper)
        _, _, cost_new, _ = cost_terms(p_new, R_new, q_new, on)
        better = cost_new <= cost + 1e-12
        # accept per frame; smoothness terms are tiny, so the data cost decides acceptance
        p = np.where(better[:, None], p_new, p)
        R = np.where(better[:, None, None], R_new, R)
        q = np.where(better[:, None], q_new, q)
        cost = np.where(better, cost_new, cost)
        mu = np.where(better, mu * 0.3, mu * 10.0).clip(1e-9, 1e6)
        fk, r, cost, cx = cost_terms(p, R, q, on)
    pts = fk.p[:, links]
    tips = [kp_idx.index(k) for k in TIP_KEYPOINTS]
    tip_err = np.linalg.norm(pts[:, tips] - target[:, tips], axis=-1)
    return HandRetarget(side, p, R, q, fk.p.copy(), tip_err, target, pts)


def _neighbour_mean_rot(R: np.ndarray) -> np.ndarray:
    """Rotation halfway between each frame's neighbours (chordal mean, re-orthonormalised)."""
    M = _neighbour_mean(R)
    U, _, Vt = np.linalg.svd(M)
    D = np.ones((R.shape[0], 3))
    D[:, 2] = np.sign(np.linalg.det(U @ Vt))
    return U @ (D[:, :, None] * Vt)


def retarget_demo(
    demo: Demo, config: RetargetConfig = RetargetConfig()
) -> dict[Side, HandRetarget]:
    """Retarget every hand of ``demo`` (kept out of its objects if ``config`` says so)."""
    return {
        side: retarget_hand(demo.hands[side], side, config, demo.objects) for side in demo.sides
    }
