"""Batched forward kinematics of the 12-DoF sim Inspire hand (numpy), from the description API.

The joint table comes from ``maniptrans_description.inspire.joint_table(side)`` (no second copy
of the numbers here). ``HandKinematics.forward`` maps a floating base pose and 12 joint angles,
batched over N frames, to every link frame; ``point_jacobian`` gives the analytic Jacobian of
selected link origins with respect to (base translation, base rotation, joints).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from maniptrans_description import inspire
from maniptrans_training.demo import Side
from maniptrans_training.errors import TrainingError


def _axis_rotation(axis: np.ndarray, q: np.ndarray) -> np.ndarray:
    """(N,) angles about unit ``axis`` (3,) -> (N, 3, 3)."""
    K = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    s = np.sin(q)[:, None, None]
    c = np.cos(q)[:, None, None]
    return np.eye(3) + s * K + (1.0 - c) * (K @ K)


def skew(v: np.ndarray) -> np.ndarray:
    """(..., 3) -> (..., 3, 3) cross-product matrices."""
    out = np.zeros((*v.shape, 3))
    out[..., 0, 1], out[..., 0, 2] = -v[..., 2], v[..., 1]
    out[..., 1, 0], out[..., 1, 2] = v[..., 2], -v[..., 0]
    out[..., 2, 0], out[..., 2, 1] = -v[..., 1], v[..., 0]
    return out


@dataclass(frozen=True)
class FkResult:
    """Link frames in the world for N frames: R (N, L, 3, 3), p (N, L, 3) [m]."""

    R: np.ndarray
    p: np.ndarray


class HandKinematics:
    """Kinematic tree of one sim hand (12 revolute joints + 5 fixed tips, 18 links).

    Attributes:
        side: ``"right"`` or ``"left"``.
        link_names: the 18 links, base first, in tree order.
        joint_names: the 12 revolute joints in the facts' order (= ``q`` order).
        lower, upper: (12,) joint limits [rad].
        tip_links: indices in ``link_names`` of the 5 fingertips (thumb..pinky).
    """

    def __init__(self, side: Side) -> None:
        self.side = side
        table = inspire.joint_table(side)
        base = table[0].parent
        self.link_names: list[str] = [base]
        self.joint_names: list[str] = [j.name for j in table if j.type == "revolute"]
        if self.joint_names != inspire.sim_joint_names(side):
            raise TrainingError(
                f"joint table of the {side} hand is not in sim-joint order: {self.joint_names}"
            )
        self._parent: list[int] = []  # per non-base link: parent link index
        self._origin: list[np.ndarray] = []  # (4, 4) joint origin
        self._axis: list[np.ndarray | None] = []
        self._qidx: list[int] = []  # index into q, or -1 for fixed
        for j in table:
            if j.parent not in self.link_names:
                raise TrainingError(f"joint {j.name}: parent {j.parent} comes after its child")
            self._parent.append(self.link_names.index(j.parent))
            self.link_names.append(j.child)
            self._origin.append(j.origin())
            if j.type == "revolute":
                a = np.asarray(j.axis, float)
                self._axis.append(a / np.linalg.norm(a))
                self._qidx.append(self.joint_names.index(j.name))
            else:
                self._axis.append(None)
                self._qidx.append(-1)
        self.lower, self.upper = (np.asarray(x, float) for x in inspire.sim_joint_limits(side))
        self.tip_links = [self.link_names.index(n) for n in inspire.fingertip_frames(side)]
        # ancestors[l, j] = joint j moves link l
        n_links = len(self.link_names)
        self.moves = np.zeros((n_links, 12), dtype=bool)
        for k in range(n_links - 1):
            child = k + 1
            if self._qidx[k] >= 0:
                self.moves[child, self._qidx[k]] = True
            self.moves[child] |= self.moves[self._parent[k]]
        self._joint_link = {self._qidx[k]: k + 1 for k in range(n_links - 1) if self._qidx[k] >= 0}

    def link_index(self, name: str) -> int:
        if name not in self.link_names:
            raise TrainingError(
                f"no link {name!r} in the {self.side} hand; have {self.link_names}"
            )
        return self.link_names.index(name)

    def forward(self, R_base: np.ndarray, p_base: np.ndarray, q: np.ndarray) -> FkResult:
        """Link frames for base rotations (N, 3, 3), positions (N, 3) [m], joints (N, 12) [rad]."""
        q = np.asarray(q, float)
        if q.ndim != 2 or q.shape[1] != 12:
            raise TrainingError(f"HandKinematics.forward: q must be (N, 12), found {q.shape}")
        N = q.shape[0]
        L = len(self.link_names)
        R = np.empty((N, L, 3, 3))
        p = np.empty((N, L, 3))
        R[:, 0] = R_base
        p[:, 0] = p_base
        for k in range(L - 1):
            par = self._parent[k]
            T_po = self._origin[k]  # child joint frame in the parent link
            Rk = R[:, par] @ T_po[:3, :3]
            p[:, k + 1] = p[:, par] + np.einsum("nij,j->ni", R[:, par], T_po[:3, 3])
            if self._qidx[k] >= 0:
                Rk = Rk @ _axis_rotation(self._axis[k], q[:, self._qidx[k]])
            R[:, k + 1] = Rk
        return FkResult(R, p)

    def point_jacobian(self, fk: FkResult, links: list[int]) -> np.ndarray:
        """(N, K, 3, 18) d(link origin)/d(base translation 3, base rotation 3, joints 12).

        The base rotation is a world-frame perturbation: R ← exp([ω]×)·R.
        """
        N = fk.p.shape[0]
        K = len(links)
        J = np.zeros((N, K, 3, 18))
        pts = fk.p[:, links]  # (N, K, 3)
        J[:, :, :, 0:3] = np.eye(3)
        J[:, :, :, 3:6] = -skew(pts - fk.p[:, None, 0])
        for j in range(12):
            link = self._joint_link[j]
            k = link - 1
            axis_w = fk.R[:, link] @ self._axis[k]  # (N, 3), joint axis in the world
            col = np.cross(axis_w[:, None, :], pts - fk.p[:, None, link])  # (N, K, 3)
            mask = self.moves[links, j]
            J[:, :, :, 6 + j] = col * mask[None, :, None]
        return J
