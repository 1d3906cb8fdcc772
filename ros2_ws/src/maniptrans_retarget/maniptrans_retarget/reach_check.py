"""Workspace check of a transferred task on the rig, before it goes on hardware.

Per frame and side: is the wrist reachable (IK within tolerance), the residuals, the joint-limit
margin, the clearance of the hand (and forearm) above the calibrated table with the task's finger
pose; per frame: the minimum distance between the two arms (arm links and hands, the
description's collision boxes, computed by Pinocchio/Coal); and a suggested ``T_world_sim``
(translation + yaw of the sim world on the table) that maximises reachability.

Each side is solved as the ``arm_ik`` node would stream it (60 Hz, per-step velocity limit,
warm-started), after a multi-start solve of the first frame. A frame the stream misses is checked
once more without the step limit, to tell "out of reach" from "not reachable in time".

CLI: ``maniptrans-check-reach TASK [--calibration YAML] [--suggest] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from maniptrans_retarget.arm_errors import ArmIkError
from maniptrans_retarget.arm_ik import ArmIk, IkConfig, IkStream
from maniptrans_retarget.arm_kinematics import ArmKinematics
from maniptrans_retarget.arm_targets import FlangeTargets, pose_to_matrix, world_sim_transform

SIDES = ("left", "right")
TASK_DT = 1.0 / 60.0  # transferred tasks are 60 Hz [s]
_HAND_PREFIX = {"left": "L_", "right": "R_"}
# arm links that can come down to the table; the base and links 1-2 stand on it by design
_TABLE_ARM_LINKS = tuple(f"arm_link_{i}_" for i in range(3, 8))


@dataclass(frozen=True)
class SideReach:
    """One side's result over the checked frames (N of them)."""

    side: str
    q: np.ndarray
    """Streamed joint solution [rad], (N, 7)."""
    tracked: np.ndarray
    """Streamed solve within tolerance (continuous, velocity-limited), (N,) bool."""
    reachable: np.ndarray
    """Pose reachable at all (streamed, or a free solve from the previous frame), (N,) bool."""
    position_error: np.ndarray
    """Residual of the streamed solve [m], (N,)."""
    rotation_error: np.ndarray
    """Residual of the streamed solve [rad], (N,)."""
    limit_margin: np.ndarray
    """Smallest distance of any joint to its limit [rad], (N,)."""


@dataclass(frozen=True)
class ReachReport:
    """The check of one task on one rig calibration."""

    frames: np.ndarray
    """Task frame index of each checked frame, (N,)."""
    sides: dict[str, SideReach]
    arm_distance: np.ndarray
    """Minimum distance between the two arms (links, hand bases) [m], (N,); nan with one side."""
    T_world_sim: np.ndarray
    notes: tuple[str, ...] = field(default=())
    finger_distance: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Minimum distance between a finger of one hand and the other side (fingers, hand, arm)
    [m], (N,); empty when not computed. Two hands on one object bring their fingers within
    millimetres of each other by design, so fingers have their own, smaller, limit."""
    table_clearance: dict[str, np.ndarray] = field(default_factory=dict)
    """Per side, the smallest distance of its hand and forearm to the table [m], (N,); negative:
    inside the table by that much. Empty when not computed."""

    @property
    def all_reachable(self) -> np.ndarray:
        """(N,) bool: every side's wrist reachable."""
        return np.logical_and.reduce([s.reachable for s in self.sides.values()])

    @property
    def all_tracked(self) -> np.ndarray:
        """(N,) bool: every side tracked within tolerance by the streamed solve."""
        return np.logical_and.reduce([s.tracked for s in self.sides.values()])

    def summary(
        self,
        min_distance: float = 0.02,
        max_lag_position: float = 0.005,
        max_lag_rotation: float = math.radians(3.0),
        max_table_penetration: float = 0.005,
        min_finger_distance: float = 0.0,
    ) -> tuple[list[str], list[str]]:
        """(problems, notes) as readable lines; no problems means fit for hardware.

        Args:
            min_distance: closer arms than this [m] are a problem (arm links and hand bases:
                the heavy, stiff parts).
            min_finger_distance: a finger closer than this [m] to the other side is a problem;
                the default 0 refuses overlapping collision shapes only (fingers of two hands
                holding one object come that close by design).
            max_lag_position, max_lag_rotation: a reachable frame that the velocity-limited
                stream misses by at most this much [m], [rad] is a note (the arm lags a little
                behind a fast wrist), by more a problem.
            max_table_penetration: a hand or forearm deeper than this inside the table [m] is a
                problem (the arm would press it into the real table; the first frame is where
                the drivers' soft start goes). Shallower overlaps are the resting contacts of
                the simulation's soft contact model and are noted.
        """
        problems: list[str] = []
        notes = list(self.notes)
        n = self.frames.size
        for side, s in self.sides.items():
            bad = ~s.reachable
            late = s.reachable & ~s.tracked
            far = late & (
                (s.position_error > max_lag_position) | (s.rotation_error > max_lag_rotation)
            )
            worst_p = 1e3 * s.position_error.max()
            worst_r = math.degrees(s.rotation_error.max())
            notes.append(
                f"{side}: {n - bad.sum()}/{n} frames reachable, worst residual {worst_p:.2f} mm / "
                f"{worst_r:.2f} deg, smallest joint-limit margin "
                f"{math.degrees(s.limit_margin.min()):.1f} deg"
            )
            if bad.any():
                problems.append(
                    f"{side} wrist unreachable in {bad.sum()} frames: {_ranges(self.frames[bad])}"
                )
            if far.any():
                problems.append(
                    f"{side} wrist too fast for the velocity limit in {far.sum()} frames (lag "
                    f"above {1e3 * max_lag_position:.0f} mm / {math.degrees(max_lag_rotation):.0f}"
                    f" deg): {_ranges(self.frames[far])}"
                )
            small = late & ~far
            if small.any():
                notes.append(
                    f"{side}: the arm lags the wrist within {1e3 * max_lag_position:.0f} mm / "
                    f"{math.degrees(max_lag_rotation):.0f} deg in {small.sum()} frames "
                    f"(velocity limit): {_ranges(self.frames[small])}"
                )
        for side, clearance in self.table_clearance.items():
            k = int(np.argmin(clearance))
            notes.append(
                f"{side}: smallest clearance of the hand above the table "
                f"{1e3 * clearance[k]:.1f} mm (frame {self.frames[k]})"
            )
            deep = self.frames[clearance < -max_table_penetration]
            if deep.size:
                problems.append(
                    f"{side} hand more than {1e3 * max_table_penetration:.0f} mm inside the table "
                    f"(up to {-1e3 * clearance.min():.1f} mm) in {deep.size} frames: "
                    f"{_ranges(deep)}"
                )
        for distance, limit, what, closer in (
            (self.arm_distance, min_distance, "between the arms", "arms closer than {} mm"),
            (
                self.finger_distance,
                min_finger_distance,
                "of a finger to the other side",
                "fingers closer than {} mm to the other side",
            ),
        ):
            if not distance.size or not np.isfinite(distance).any():
                continue
            k = int(np.nanargmin(distance))
            notes.append(
                f"minimum distance {what} {1e3 * distance[k]:.1f} mm (frame {self.frames[k]})"
            )
            close = self.frames[distance < limit]
            if close.size:
                problems.append(
                    f"{closer.format(f'{1e3 * limit:.0f}')} in {close.size} frames: "
                    f"{_ranges(close)}"
                )
        return problems, notes

    def to_json(self) -> dict:
        """Per-frame results as plain lists (SI units)."""
        return {
            "frames": self.frames.tolist(),
            "T_world_sim": self.T_world_sim.tolist(),
            "arm_distance_m": [None if not math.isfinite(d) else d for d in self.arm_distance],
            "finger_distance_m": [
                None if not math.isfinite(d) else d for d in self.finger_distance
            ],
            "table_clearance_m": {s: c.tolist() for s, c in self.table_clearance.items()},
            "sides": {
                side: {
                    "reachable": s.reachable.tolist(),
                    "tracked": s.tracked.tolist(),
                    "position_error_m": s.position_error.tolist(),
                    "rotation_error_rad": s.rotation_error.tolist(),
                    "limit_margin_rad": s.limit_margin.tolist(),
                }
                for side, s in self.sides.items()
            },
        }


class ArmDistance:
    """Minimum distance between the left and the right arm (links + hands) on a calibrated rig,
    and of each side's hand and forearm to the table.

    Uses the description's ``bimanual_rig`` collision model (boxes), with the arm bases, hand
    mounts and the table moved to the calibration's values, so a calibration other than the one
    the URDF was generated from is honoured.
    """

    def __init__(self, rig) -> None:
        import pinocchio as pin

        from maniptrans_description.loaders import load_pinocchio

        model, geom = load_pinocchio("bimanual_rig", with_collision=True)
        side_of: dict[int, str] = {}
        self.arm_q: dict[str, np.ndarray] = {}
        self.hand_q: dict[str, np.ndarray] = {}
        for side in SIDES:
            j1 = model.getJointId(f"{side}_arm_joint_1")
            j7 = model.getJointId(f"{side}_arm_joint_7")
            base = model.frames[model.getFrameId(f"{side}_arm_base")].placement
            U = pin.SE3(np.asarray(rig.T_world_armbase[side], dtype=float)) * base.inverse()
            model.jointPlacements[j1] = U * model.jointPlacements[j1]
            flange = model.frames[model.getFrameId(f"{side}_flange")].placement
            hand = model.frames[model.getFrameId(f"{side}_hand_base")].placement
            C = flange * pin.SE3(np.asarray(rig.T_flange_hand[side], dtype=float)) * hand.inverse()
            for j in range(1, model.njoints):
                if model.parents[j] == j7:  # the hand's joints hang from the flange
                    model.jointPlacements[j] = C * model.jointPlacements[j]
            prefix = _HAND_PREFIX[side]
            for k, obj in enumerate(geom.geometryObjects):
                if obj.parentJoint == 0 and obj.name.startswith(f"{side}_arm_base"):
                    obj.placement = U * obj.placement
                elif obj.parentJoint == j7 and obj.name.startswith(prefix):
                    obj.placement = C * obj.placement
                if obj.name.startswith((f"{side}_", prefix)):
                    side_of[k] = side
            self.arm_q[side] = np.array(
                [
                    model.joints[model.getJointId(f"{side}_arm_joint_{i}")].idx_q
                    for i in range(1, 8)
                ]
            )
            from maniptrans_description.inspire import sim_joint_names

            self.hand_q[side] = np.array(
                [model.joints[model.getJointId(n)].idx_q for n in sim_joint_names(side)]
            )
        left = [k for k, s in side_of.items() if s == "left"]
        right = [k for k, s in side_of.items() if s == "right"]
        finger = [False] * len(geom.geometryObjects)
        for k, obj in enumerate(geom.geometryObjects):
            finger[k] = obj.name.startswith(tuple(_HAND_PREFIX.values())) and not any(
                obj.name.startswith(f"{p}hand_base") for p in _HAND_PREFIX.values()
            )
        self._finger_pair = []
        for a in left:
            for b in right:
                geom.addCollisionPair(pin.CollisionPair(a, b))
                self._finger_pair.append(finger[a] or finger[b])
        self._arm_pairs = len(geom.collisionPairs)
        self._table_pairs: dict[str, list[int]] = {}
        table = _calibrated_table(geom, rig, pin)
        if table is not None:
            for side in SIDES:
                self._table_pairs[side] = []
                for k, obj in enumerate(geom.geometryObjects):
                    near = obj.name.startswith(_HAND_PREFIX[side]) or any(
                        obj.name.startswith(f"{side}_{link}") for link in _TABLE_ARM_LINKS
                    )
                    if near:
                        self._table_pairs[side].append(len(geom.collisionPairs))
                        geom.addCollisionPair(pin.CollisionPair(k, table))
        self.model, self.geom = model, geom
        self.data = model.createData()
        self.geom_data = pin.GeometryData(geom)
        self._pin = pin

    def distance(
        self,
        q_arms: Mapping[str, np.ndarray],
        q_hands: Mapping[str, np.ndarray] | None = None,
    ) -> float:
        """Minimum distance [m] between the sides' arm links and hand bases (negative: the
        boxes overlap) for the arm joint angles (7,) and, optionally, the 12 sim-hand joint
        angles of each side [rad]. :meth:`distances` adds the fingers' own distance."""
        return self.distances(q_arms, q_hands)[0]

    def distances(
        self,
        q_arms: Mapping[str, np.ndarray],
        q_hands: Mapping[str, np.ndarray] | None = None,
    ) -> tuple[float, float]:
        """(arms, fingers): the minimum distance [m] between the sides without the fingers,
        and the minimum over every pair with a finger of either hand in it."""
        results = self._distances(q_arms, q_hands)[: self._arm_pairs]
        arms = [r.min_distance for r, f in zip(results, self._finger_pair, strict=True) if not f]
        fingers = [r.min_distance for r, f in zip(results, self._finger_pair, strict=True) if f]
        return float(min(arms)), float(min(fingers, default=math.inf))

    def table_clearance(
        self,
        q_arms: Mapping[str, np.ndarray],
        q_hands: Mapping[str, np.ndarray] | None = None,
    ) -> dict[str, float]:
        """Per side given in ``q_arms``: the smallest distance of its hand and forearm (links
        3-7) to the table [m], negative when inside it by that much (same arguments as
        ``distance``; a side not given stands at q = 0). Empty when the model has no table."""
        results = self._distances(q_arms, q_hands)
        return {
            side: float(min(results[k].min_distance for k in pairs))
            for side, pairs in self._table_pairs.items()
            if side in q_arms
        }

    def _distances(self, q_arms, q_hands) -> list:
        q = np.zeros(self.model.nq)
        for side in SIDES:
            if side in q_arms:
                q[self.arm_q[side]] = q_arms[side]
            if q_hands is not None and side in q_hands:
                q[self.hand_q[side]] = q_hands[side]
        pin = self._pin
        pin.computeDistances(self.model, self.data, self.geom, self.geom_data, q)
        return list(self.geom_data.distanceResults)


def _calibrated_table(geom, rig, pin) -> int | None:
    """Index of the rig model's table box, resized and moved to the calibration's table (None
    when the model has none)."""
    for k, obj in enumerate(geom.geometryObjects):
        if obj.parentJoint == 0 and obj.name.startswith("table"):
            size = np.asarray(rig.table.size, dtype=float)
            center = np.asarray(rig.table.top_center, dtype=float) - [0.0, 0.0, size[2] / 2]
            obj.geometry = type(obj.geometry)(*size)  # a box of full edge lengths
            obj.placement = pin.SE3(np.eye(3), center)
            return k
    return None


def check_reach(
    wrists: Mapping[str, np.ndarray],
    rig,
    *,
    T_world_sim: np.ndarray | None = None,
    hands: Mapping[str, np.ndarray] | None = None,
    stride: int = 1,
    ik_config: IkConfig | None = None,
    distances: bool = True,
    table: bool = True,
) -> ReachReport:
    """Check a task's wrist trajectories on the rig.

    Args:
        wrists: side -> (T, 7) hand-base poses in the sim world: position [m], quaternion x y z w.
        rig: a ``maniptrans_description.rig.RigCalibration``.
        T_world_sim: overrides the calibration's sim placement (4x4).
        hands: side -> (T, 12) sim-hand joint angles [rad] for the arm distance (default open).
        stride: check every ``stride``-th frame (the stream's dt grows accordingly).
        ik_config: IK settings (default: the node's defaults).
        distances: compute the arm-to-arm distance (needs both sides).
        table: compute each side's clearance above the table (hand at the ``hands`` pose).
    """
    if not wrists:
        raise ArmIkError("wrists: expected at least one side's (T, 7) wrist poses, found none")
    unknown = set(wrists) - set(SIDES)
    if unknown:
        raise ArmIkError(f"wrists: expected sides {list(SIDES)}, found {sorted(unknown)}")
    lengths = {side: np.asarray(w).shape for side, w in wrists.items()}
    n_total = {s[0] for s in lengths.values()}
    if len(n_total) != 1 or any(len(s) != 2 or s[1] != 7 for s in lengths.values()):
        raise ArmIkError(f"wrists: expected (T, 7) arrays of one length T, found {lengths}")
    if stride < 1:
        raise ArmIkError(f"stride: expected >= 1, found {stride}")
    frames = np.arange(0, n_total.pop(), stride)
    T_ws = np.asarray(rig.T_world_sim if T_world_sim is None else T_world_sim, dtype=float)
    variant = rig.arm_variant
    results: dict[str, SideReach] = {}
    for side in (s for s in SIDES if s in wrists):
        w = np.asarray(wrists[side], dtype=float)[frames]
        targets = FlangeTargets.from_rig(rig, side, T_ws).from_wrist(
            pose_to_matrix(w[:, :3], w[:, 3:7], f"{side} wrist track")
        )
        kin = ArmKinematics.from_description(variant, side)
        ik = ArmIk(kin, ik_config or IkConfig())
        results[side] = _solve_side(ik, side, targets, TASK_DT * stride)
    distance = np.full(frames.size, np.nan)
    finger_distance = np.full(frames.size, np.nan)
    clearance: dict[str, np.ndarray] = {}
    if distances or table:
        arms = ArmDistance(rig)
        both = distances and len(results) == 2
        if table:
            clearance = {s: np.empty(frames.size) for s in results}
        for k in range(frames.size):
            q_hands = None
            if hands is not None:
                q_hands = {s: np.asarray(hands[s])[frames[k]] for s in hands if s in SIDES}
            q_arms = {s: r.q[k] for s, r in results.items()}
            if both:
                distance[k], finger_distance[k] = arms.distances(q_arms, q_hands)
            if table:
                for s, c in arms.table_clearance(q_arms, q_hands).items():
                    clearance[s][k] = c
    return ReachReport(
        frames,
        results,
        distance,
        T_ws,
        table_clearance=clearance,
        finger_distance=finger_distance if distances and len(results) == 2 else np.zeros(0),
    )


def _solve_side(ik: ArmIk, side: str, targets: np.ndarray, dt: float) -> SideReach:
    rng = np.random.default_rng(0)
    first = ik.solve_multistart(targets[0], rng)
    stream = IkStream(ik, first.q)
    n = targets.shape[0]
    q = np.empty((n, 7))
    tracked = np.empty(n, dtype=bool)
    reachable = np.empty(n, dtype=bool)
    pos = np.empty(n)
    rot = np.empty(n)
    for k in range(n):
        q_before = stream.q
        res = stream.step(targets[k], dt)
        q[k], tracked[k], pos[k], rot[k] = (
            res.q,
            res.converged,
            res.position_error,
            res.rotation_error,
        )
        reachable[k] = res.converged or ik.solve(targets[k], q_before).converged
        if not reachable[k]:
            reachable[k] = ik.solve_multistart(targets[k], rng, attempts=4).converged
    margin = np.minimum(q - ik.kin.lower, ik.kin.upper - q).min(axis=1)
    return SideReach(side, q, tracked, reachable, pos, rot, margin)


def suggest_world_sim(
    wrists: Mapping[str, np.ndarray],
    rig,
    *,
    samples: int = 40,
    span: Sequence[float] = (0.3, 0.3, 0.2),
    yaw_span: float = math.radians(45.0),
) -> tuple[np.ndarray, float, float]:
    """The ``T_world_sim`` near the calibrated one that makes the most frames reachable.

    A coarse grid over x, y, z offsets within ±``span`` [m] and yaw within ±``yaw_span`` [rad],
    then a local refinement; frames are subsampled to ``samples`` per side. Ties go to the larger
    smallest joint-limit margin.

    Returns:
        (T_world_sim 4x4, fraction of sampled frames with every wrist reachable there, the same
        fraction at the calibrated T_world_sim).
    """
    T0 = np.asarray(rig.T_world_sim, dtype=float)
    n = min(np.asarray(w).shape[0] for w in wrists.values())
    idx = np.unique(np.linspace(0, n - 1, min(samples, n)).astype(int))
    sides = [s for s in SIDES if s in wrists]
    iks = {s: ArmIk(ArmKinematics.from_description(rig.arm_variant, s)) for s in sides}
    hand_in_sim = {
        s: pose_to_matrix(np.asarray(wrists[s])[idx, :3], np.asarray(wrists[s])[idx, 3:7])
        for s in sides
    }

    def score(offset: np.ndarray) -> tuple[float, float]:
        T_ws = T0 @ world_sim_transform(offset[:3], offset[3])
        ok = np.ones(idx.size, dtype=bool)
        margin = math.inf
        for s in sides:
            targets = FlangeTargets.from_rig(rig, s, T_ws).from_wrist(hand_in_sim[s])
            q = iks[s].posture
            rng = np.random.default_rng(1)
            for k in range(idx.size):
                res = iks[s].solve(targets[k], q)
                if not res.converged and k == 0:
                    res = iks[s].solve_multistart(targets[k], rng, attempts=3)
                ok[k] &= res.converged
                if res.converged:
                    q = res.q
                    m = np.minimum(q - iks[s].kin.lower, iks[s].kin.upper - q).min()
                    margin = min(margin, float(m))
        return float(ok.mean()), margin if math.isfinite(margin) else -math.inf

    best = np.zeros(4)
    best_score = score(best)
    base_fraction = best_score[0]
    steps = np.array([*span, yaw_span])
    for offset in _grid(steps):
        sc = score(offset)
        if sc > best_score:
            best, best_score = offset, sc
    step = steps / 4
    for _ in range(3):  # coordinate refinement with shrinking steps
        improved = True
        while improved:
            improved = False
            for axis in range(4):
                for sign in (-1.0, 1.0):
                    cand = best.copy()
                    cand[axis] += sign * step[axis]
                    sc = score(cand)
                    if sc > best_score:
                        best, best_score, improved = cand, sc, True
        step /= 2
    return T0 @ world_sim_transform(best[:3], best[3]), best_score[0], base_fraction


def _grid(steps: np.ndarray) -> list[np.ndarray]:
    axes = [np.array([-1.0, -0.5, 0.0, 0.5, 1.0]) * s for s in steps]
    mesh = np.meshgrid(*axes, indexing="ij")
    return [np.array(v) for v in zip(*(m.reshape(-1) for m in mesh), strict=True)]


def _ranges(frames: np.ndarray) -> str:
    """'3-7, 12, 20-21' from sorted frame indices (at most 8 ranges shown)."""
    if frames.size == 0:
        return ""
    parts: list[str] = []
    start = prev = int(frames[0])
    for f in [*map(int, frames[1:]), None]:
        if f is not None and f == prev + 1:
            prev = f
            continue
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
        if f is not None:
            start = prev = f
    more = f" (+{len(parts) - 8} more)" if len(parts) > 8 else ""
    return ", ".join(parts[:8]) + more


def main(argv: list[str] | None = None) -> int:
    """``maniptrans-check-reach``: exit 0 when the task fits the rig, 1 when it does not."""
    parser = argparse.ArgumentParser(
        prog="maniptrans-check-reach",
        description="Check a transferred task on the rig before hardware: reachability of both "
        "wrists per frame, residuals, joint-limit margins, distance between the arms, clearance "
        "of the hands above the table; optionally "
        "suggest the T_world_sim placement that maximises reachability.",
    )
    parser.add_argument("task", type=Path, help="sequence folder or its rollouts.hdf5")
    parser.add_argument("--calibration", type=Path, help="rig YAML (default: the description's)")
    parser.add_argument("--rollout", help="rollout index or name (default: best reward)")
    parser.add_argument("--stride", type=int, default=1, help="check every N-th frame")
    parser.add_argument(
        "--min-distance",
        type=float,
        default=0.02,
        help="[m] between the arms (links and hand bases)",
    )
    parser.add_argument(
        "--min-finger-distance",
        type=float,
        default=0.0,
        help="[m] between a finger and the other side (0: no overlap; two hands on one "
        "object bring their fingers close by design)",
    )
    parser.add_argument(
        "--max-table-penetration",
        type=float,
        default=0.005,
        help="[m] a hand deeper inside the table is a problem (sim contacts are shallower)",
    )
    parser.add_argument("--suggest", action="store_true", help="search a better T_world_sim")
    parser.add_argument("--json", type=Path, help="write per-frame results here")
    args = parser.parse_args(argv)

    from maniptrans_description.errors import DescriptionError
    from maniptrans_description.rig import RigCalibration
    from maniptrans_sim.task_file import TaskFileError, load_task

    try:
        rig = RigCalibration.load(args.calibration)
        rollout = int(args.rollout) if args.rollout and args.rollout.isdigit() else args.rollout
        task = load_task(args.task, rollout)
    except (DescriptionError, TaskFileError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    wrists = {s: np.asarray(h.state[:, :7], dtype=float) for s, h in task.hands.items()}
    hands = {s: np.asarray(h.q, dtype=float) for s, h in task.hands.items()}
    print(f"task {task.name} ({task.rollout}): {task.num_frames} frames, sides {task.sides}")
    print(f"rig calibration {rig.source}, arms {rig.arm_variant}")
    try:
        report = check_reach(wrists, rig, hands=hands, stride=args.stride)
    except ArmIkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    problems, notes = report.summary(
        args.min_distance,
        max_table_penetration=args.max_table_penetration,
        min_finger_distance=args.min_finger_distance,
    )
    for line in notes:
        print(line)
    for line in problems:
        print(f"PROBLEM: {line}")
    out = report.to_json()
    if args.suggest:
        T_best, frac, frac0 = suggest_world_sim(wrists, rig)
        from maniptrans_description.transforms import matrix_to_rpy

        xyz = T_best[:3, 3]
        rpy = np.degrees(matrix_to_rpy(T_best[:3, :3]))
        print(
            f"suggested sim_world: {{xyz: [{xyz[0]:.3f}, {xyz[1]:.3f}, {xyz[2]:.3f}], "
            f"rpy_deg: [{rpy[0]:.1f}, {rpy[1]:.1f}, {rpy[2]:.1f}]}}  ({100 * frac:.0f}% of "
            f"sampled frames reachable, {100 * frac0:.0f}% with the calibrated one)"
        )
        out["suggested_T_world_sim"] = T_best.tolist()
    if args.json:
        args.json.write_text(json.dumps(out) + "\n")
        print(f"wrote {args.json}")
    print("OK: fit for hardware" if not problems else "NOT fit for hardware")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
