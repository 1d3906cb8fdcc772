"""Closed-form, vectorised fingertip kinematics of the Inspire hand: sim (12 joints), real (6).

Every finger is a short serial chain from the hand base to its tip frame. A revolute joint turns
by ``θ`` about a unit axis ``a`` and Rodrigues' formula splits its rotation into three constant
matrices weighted by a *basis* ``β(θ) = (1, cos θ, sin θ)``::

    Rot(a, θ) = a aᵀ + cos θ (I − a aᵀ) + sin θ [a]×

Multiplying out the chain ``p = T₁ Rot₁ T₂ Rot₂ … Tₙ Rotₙ t_tip`` therefore gives the tip position
as a *multilinear* form in the joints' bases, ``p = Σ C[i₁…iₙ] β₁[i₁]…βₙ[iₙ]``, with a constant
coefficient tensor ``C`` (3ⁿ × 3) computed once from the joint tables. Derivatives only swap a
basis for its derivative (``β' = (0, −sin, cos)``, ``β'' = (0, −cos, −sin)``), so tip positions,
Jacobians and second derivatives of any batch of poses are a handful of array products: exact,
and with no per-frame Python loop.

The real hand drives the 12 joints through 6 actuators with the description's mimic couplings;
they are applied as the affine map ``q = A x + b`` read from
``maniptrans_description.inspire.actuators_to_sim_joints`` (the one source of truth), so the
actuator-space Jacobian is ``J_q A`` and the Hessian ``Aᵀ H_q A``.

Shapes: ``B`` frames, ``M = 5`` fingertips (order thumb, index, middle, ring, pinky), ``NQ = 12``
sim joints, ``NA = 6`` actuators. Lengths in [m], angles in [rad].
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from maniptrans_retarget.hand_errors import HandRetargetError


class JointLike(Protocol):
    """What the chain builder reads from a description joint (URDF semantics)."""

    name: str
    type: str
    parent: str
    child: str
    xyz: tuple[float, float, float]
    rpy: tuple[float, float, float]
    axis: tuple[float, float, float]


def _rpy_matrix(rpy: Sequence[float]) -> np.ndarray:
    """URDF rpy [rad] -> 3x3 rotation Rz(yaw) Ry(pitch) Rx(roll)."""
    r, p, y = (float(v) for v in rpy)
    cr, sr, cp, sp, cy, sy = np.cos(r), np.sin(r), np.cos(p), np.sin(p), np.cos(y), np.sin(y)
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cr, -sr], [0.0, sr, cr]])
    ry = np.array([[cp, 0.0, sp], [0.0, 1.0, 0.0], [-sp, 0.0, cp]])
    rz = np.array([[cy, -sy, 0.0], [sy, cy, 0.0], [0.0, 0.0, 1.0]])
    return rz @ ry @ rx


def _skew(a: np.ndarray) -> np.ndarray:
    return np.array([[0.0, -a[2], a[1]], [a[2], 0.0, -a[0]], [-a[1], a[0], 0.0]])


@dataclass(frozen=True)
class Chain:
    """One base-to-tip serial chain, fixed joints folded into the next revolute's origin.

    ``rotations[k]``, ``translations[k]``: the fixed transform (3x3, [m]) in front of revolute
    joint ``k``; ``axes[k]``: its unit axis (child frame); ``joints[k]``: its index in the sim
    joint order; ``tip``: the tip point [m] in the last revolute joint's child frame.
    """

    tip_frame: str
    joints: tuple[int, ...]
    rotations: tuple[np.ndarray, ...]
    translations: tuple[np.ndarray, ...]
    axes: tuple[np.ndarray, ...]
    tip: np.ndarray

    def coefficients(self) -> np.ndarray:
        """The multilinear coefficient tensor C, shape (3ⁿ, 3): p = Σ_I C[I] Π_k β_k[i_k]."""
        u = self.tip.reshape(3)  # (3,) : the innermost vector, no joint index yet
        for k in reversed(range(len(self.joints))):
            a = self.axes[k]
            aa = np.outer(a, a)
            parts = (aa, np.eye(3) - aa, _skew(a))  # Rot = Σ_i β_i(θ) parts[i]
            R, t = self.rotations[k], self.translations[k]
            # new[i, ...] = R parts[i] u[...] ; the constant t joins the all-constant index
            u_new = np.stack([np.einsum("xy,...y->...x", R @ P, u) for P in parts])
            u_new[(0,) * (u_new.ndim - 1)] += t
            u = u_new
        return u.reshape(-1, 3)


def chains_from_joints(
    joints: Sequence[JointLike], root: str, tip_frames: Sequence[str], joint_names: Sequence[str]
) -> tuple[Chain, ...]:
    """Serial chains from ``root`` to each of ``tip_frames`` in a description's joint list.

    ``joint_names`` fixes the index of every revolute joint (the sim hand's joint order); every
    revolute joint met on a chain must be one of them.
    """
    by_child = {j.child: j for j in joints}
    index = {name: i for i, name in enumerate(joint_names)}
    chains = []
    for tip in tip_frames:
        path: list[JointLike] = []
        link = tip
        while link != root:
            if link not in by_child:
                raise HandRetargetError(
                    f"tip frame {tip!r}: link {link!r} has no parent joint on the way to {root!r}"
                )
            path.append(by_child[link])
            link = by_child[link].parent
        path.reverse()
        idx: list[int] = []
        rots: list[np.ndarray] = []
        trans: list[np.ndarray] = []
        axes: list[np.ndarray] = []
        T = np.eye(4)  # pending fixed transform in front of the next revolute joint
        for j in path:
            Tj = np.eye(4)
            Tj[:3, :3] = _rpy_matrix(j.rpy)
            Tj[:3, 3] = np.asarray(j.xyz, dtype=float)
            T = T @ Tj
            if j.type == "fixed":
                continue
            if j.type != "revolute":
                raise HandRetargetError(
                    f"joint {j.name!r}: expected a revolute or fixed joint, found {j.type!r}"
                )
            if j.name not in index:
                raise HandRetargetError(
                    f"joint {j.name!r} on the chain to {tip!r} is not one of {list(joint_names)}"
                )
            axis = np.asarray(j.axis, dtype=float)
            idx.append(index[j.name])
            rots.append(T[:3, :3].copy())
            trans.append(T[:3, 3].copy())
            axes.append(axis / np.linalg.norm(axis))
            T = np.eye(4)
        if not idx:
            raise HandRetargetError(
                f"tip frame {tip!r}: no revolute joint between it and {root!r}"
            )
        chains.append(Chain(tip, tuple(idx), tuple(rots), tuple(trans), tuple(axes), T[:3, 3]))
    return tuple(chains)


def affine_coupling(
    to_joints: Callable[[np.ndarray], np.ndarray], n_act: int, n_joints: int
) -> tuple[np.ndarray, np.ndarray]:
    """(A, b) with ``to_joints(x) == A x + b`` for an affine actuator->joint map (checked)."""
    b = np.asarray(to_joints(np.zeros(n_act)), dtype=float).reshape(n_joints)
    A = np.stack(
        [np.asarray(to_joints(e), dtype=float).reshape(n_joints) - b for e in np.eye(n_act)],
        axis=1,
    )
    x = np.linspace(0.1, 0.6, n_act)
    if not np.allclose(to_joints(x), A @ x + b, atol=1e-12):
        raise HandRetargetError("the actuator -> joint coupling is not affine (mimic joints)")
    return A, b


def _outer_chain(factors: Sequence[np.ndarray]) -> np.ndarray:
    """Row-wise outer product of (..., n_k) factors, flattened to (..., Π n_k), first slowest."""
    out = factors[0]
    for f in factors[1:]:
        out = (out[..., :, None] * f[..., None, :]).reshape(*out.shape[:-1], -1)
    return out


@dataclass(frozen=True)
class _JointGroup:
    """Sim-hand chains with the same number n of joints: p = (β₁ ⊗ … ⊗ βₙ) · C (value only)."""

    tips: np.ndarray  # (c,) positions of these chains in the tip order
    joints: np.ndarray  # (c, n) sim joint indices
    coeffs: np.ndarray  # (c, 3ⁿ, 3) [m]

    def tips_of(self, basis: np.ndarray) -> np.ndarray:
        """Tips (B, c, 3) [m] from every joint's basis (B, NQ, 3) = (1, cos q, sin q)."""
        g = basis[:, self.joints]  # (B, c, n, 3)
        prod = _outer_chain([g[:, :, k] for k in range(g.shape[2])])  # (B, c, 3ⁿ)
        return np.matmul(prod[:, :, None, :], self.coeffs[None])[:, :, 0]


@dataclass(frozen=True)
class _ActuatorGroup:
    """Real-hand chains driven by the same number r (1 or 2) of actuators ("slots").

    Along each slot the tip is a trigonometric polynomial: ``p = Σ C[j₁…j_r] Π_s γ_sj(x_s)``
    with ``γ_j(x) = cos(ω_j x − φ_j)`` (φ = 0 or π/2). Derivatives in x are exact and cheap:
    ``γ' = −ω sin(ωx − φ)``, ``γ'' = −ω² γ``. :meth:`evaluate` returns every combination of
    derivative orders (o = 3 per slot), flattened to O = 3^r; ``first[s]`` / ``second[s, t]``
    index the first / second derivatives in that flat axis.
    """

    tips: np.ndarray  # (c,)
    slots: np.ndarray  # (c, r) actuator index of each slot
    omega: tuple[np.ndarray, ...]  # per slot (c, F_s) [1/rad] (padding: ω = 0 with C = 0)
    phase: tuple[np.ndarray, ...]  # per slot (c, F_s) [rad]
    coeffs: np.ndarray  # (c, F_1, …, F_r, 3) [m]
    first: np.ndarray  # (r,) flat order index of d/dx_s
    second: np.ndarray  # (r, r) flat order index of d²/dx_s dx_t
    coeffs_t: np.ndarray | None  # two slots: coefficients arranged (c, F2, F1·3)

    def evaluate(self, bases: Sequence[np.ndarray]) -> np.ndarray:
        """Tip derivatives (B, c, O, 3) from the slot bases (c, B, o, F_s) (rows γ, γ', γ'')."""
        g0 = bases[0]
        c, nb, no, f1 = g0.shape
        if len(bases) == 1:
            p = np.matmul(g0.reshape(c, nb * no, f1), self.coeffs)  # (c, B·o, 3)
        else:
            g1 = bases[1]
            w = np.matmul(g1.reshape(c, nb * no, -1), self.coeffs_t)  # (c, B·o2, F1·3)
            w = w.reshape(c, nb, no, f1, 3).transpose(0, 1, 3, 2, 4).reshape(c, nb, f1, no * 3)
            p = np.matmul(g0, w)  # (c, B, o1, o2·3), o1 slowest
        return p.reshape(c, nb, -1, 3).transpose(1, 0, 2, 3)


def _slot_frequencies(multipliers: Sequence[float]) -> np.ndarray:
    """Non-negative frequencies |Σ_k s_k m_k|, s_k ∈ {−1, 0, 1}, of a product of joint bases."""
    freqs = np.zeros(1)
    for m in multipliers:
        freqs = np.concatenate([freqs - m, freqs, freqs + m])
    return np.unique(np.round(np.abs(freqs), 9))


def _actuator_group(
    chains: Sequence[Chain],
    ids: Sequence[int],
    A: np.ndarray,
    b: np.ndarray,
    sim_tips: Callable[[np.ndarray], np.ndarray],
    rng: np.random.Generator,
) -> _ActuatorGroup:
    """Fit each chain's tip as a trigonometric polynomial along its actuators (exact, checked).

    The tip of a chain whose joint angles are affine in its actuators lies exactly in the span of
    ``cos/sin(ω x)`` over the slot frequencies, so a least-squares fit on sample poses recovers
    the coefficients; the fit residual is checked to be at rounding level.
    """
    na = A.shape[1]
    slots = []
    for ch in chains:
        rows = A[list(ch.joints)]
        if any(np.count_nonzero(row) > 1 for row in rows):
            raise HandRetargetError(
                f"chain to {ch.tip_frame!r}: a joint follows more than one actuator; "
                "expected each joint driven by at most one actuator"
            )
        slots.append([a for a in range(na) if np.any(rows[:, a] != 0.0)])
    r = len(slots[0])
    bases = []  # per chain, per slot: (ω, φ)
    for ch, used in zip(chains, slots, strict=True):
        per_slot = []
        for a in used:
            f = _slot_frequencies([A[j, a] for j in ch.joints if A[j, a] != 0.0])
            w = np.concatenate([f, f[f > 0]])
            ph = np.concatenate([np.zeros(f.size), np.full(int(np.sum(f > 0)), np.pi / 2)])
            per_slot.append((w, ph))
        bases.append(per_slot)
    sizes = [max(cb[s][0].size for cb in bases) for s in range(r)]
    coeffs = np.zeros((len(chains), *sizes, 3))
    omegas = [np.zeros((len(chains), n)) for n in sizes]
    phases = [np.zeros((len(chains), n)) for n in sizes]
    for c, (ch, used, cb) in enumerate(zip(chains, slots, bases, strict=True)):
        shape = [cb[s][0].size for s in range(r)]
        for s in range(r):
            omegas[s][c, : shape[s]], phases[s][c, : shape[s]] = cb[s]
        n_samples = max(40 * int(np.prod(shape)), 400)
        xs = rng.uniform(-8.0, 8.0, (n_samples, r))  # [rad]; a wide range -> well conditioned
        x_full = np.zeros((n_samples, na))
        x_full[:, used] = xs
        pos = sim_tips(x_full @ A.T + b)[:, ids[c]]  # (N, 3)
        design = _outer_chain([np.cos(xs[:, s, None] * cb[s][0] - cb[s][1]) for s in range(r)])
        sol, *_ = np.linalg.lstsq(design, pos, rcond=None)
        worst = float(np.max(np.abs(design @ sol - pos)))
        if worst > 1e-10:
            raise HandRetargetError(
                f"chain to {ch.tip_frame!r}: trigonometric fit residual {worst:.3g} m, "
                "expected < 1e-10 m (are the mimic couplings affine?)"
            )
        coeffs[(c, *[slice(0, n) for n in shape])] = sol.reshape(*shape, 3)
    # flat derivative-order index: o1 * 3 + o2 for two slots, o1 for one
    unit = np.eye(r, dtype=int)
    flat = np.array([3 ** (r - 1 - s) for s in range(r)])
    first = unit @ flat
    second = np.array([[(unit[s] + unit[t]) @ flat for t in range(r)] for s in range(r)])
    coeffs_t = None
    if r == 2:
        c_, f1, f2, _ = coeffs.shape
        coeffs_t = np.ascontiguousarray(coeffs.transpose(0, 2, 1, 3).reshape(c_, f2, f1 * 3))
    elif r != 1:
        raise HandRetargetError(f"chains driven by {r} actuators: expected 1 or 2")
    return _ActuatorGroup(
        tips=np.asarray(ids),
        slots=np.array(slots),
        omega=tuple(omegas),
        phase=tuple(phases),
        coeffs=coeffs,
        first=first,
        second=second,
        coeffs_t=coeffs_t,
    )


@dataclass(frozen=True)
class DerivativeSparsity:
    """Where the structurally non-zero tip derivatives sit, and 0/1 maps that sum them.

    Rows ``3·tip + k`` index tip coordinates (M·3). ``jac_*`` list the non-zero Jacobian entries
    (row, actuator, position in the flat derivative array); ``pair_*`` the products of two of
    them in the same row (for Jᵀ W J); ``hess_*`` the non-zero second derivatives. The ``*_sum``
    matrices add per-entry products into (NA,) or (NA·NA,) with one matrix product.
    """

    n_actuators: int
    tip_pos: np.ndarray  # (M·3,)
    jac_row: np.ndarray  # (nJ,)
    jac_col: np.ndarray  # (nJ,)
    jac_pos: np.ndarray  # (nJ,)
    jac_sum: np.ndarray  # (nJ, NA)
    pair_row: np.ndarray  # (nP,)
    pair_i: np.ndarray  # (nP,) index into the jac_* entries
    pair_j: np.ndarray  # (nP,)
    pair_sum: np.ndarray  # (nP, NA·NA)
    hess_row: np.ndarray  # (nH,)
    hess_pos: np.ndarray  # (nH,)
    hess_sum: np.ndarray  # (nH, NA·NA)

    @classmethod
    def build(
        cls,
        na: int,
        tip_pos: np.ndarray,
        jac: Sequence[tuple[int, int, int]],
        hess: Sequence[tuple[int, int, int, int]],
    ) -> DerivativeSparsity:
        """From the lists of Jacobian (row, a, pos) and Hessian (row, a, z, pos) entries."""
        j = np.array(jac, dtype=int).reshape(-1, 3)
        h = np.array(hess, dtype=int).reshape(-1, 4)
        pairs = [
            (int(j[p, 0]), p, q)
            for p in range(len(j))
            for q in range(len(j))
            if j[p, 0] == j[q, 0]
        ]
        pr = np.array(pairs, dtype=int).reshape(-1, 3)
        eye_a = np.eye(na)
        eye_aa = np.eye(na * na)
        return cls(
            n_actuators=na,
            tip_pos=np.asarray(tip_pos, dtype=int),
            jac_row=j[:, 0],
            jac_col=j[:, 1],
            jac_pos=j[:, 2],
            jac_sum=eye_a[j[:, 1]],
            pair_row=pr[:, 0],
            pair_i=pr[:, 1],
            pair_j=pr[:, 2],
            pair_sum=eye_aa[j[pr[:, 1], 1] * na + j[pr[:, 2], 1]],
            hess_row=h[:, 0],
            hess_pos=h[:, 3],
            hess_sum=eye_aa[h[:, 1] * na + h[:, 2]],
        )


@dataclass(frozen=True)
class TipDerivatives:
    """Fingertip positions and their actuator derivatives at a batch of poses (B, NA).

    ``tips`` (B, M, 3) [m]; ``jac_values`` (B, nJ) [m/rad] and ``hess_values`` (B, nH) [m/rad²]:
    the non-zero entries listed in ``sparsity``. :meth:`jacobian` and :meth:`hessian` expand
    them to dense (B, M·3, NA) and (B, M·3, NA, NA) arrays (rows 3·tip + k).
    """

    tips: np.ndarray
    jac_values: np.ndarray
    hess_values: np.ndarray
    sparsity: DerivativeSparsity

    def jacobian(self) -> np.ndarray:
        """Dense Jacobian (B, M·3, NA) [m/rad]."""
        sp = self.sparsity
        out = np.zeros((self.tips.shape[0], self.tips.shape[1] * 3, sp.n_actuators))
        out[:, sp.jac_row, sp.jac_col] = self.jac_values
        return out

    def hessian(self) -> np.ndarray:
        """Dense second derivatives (B, M·3, NA, NA) [m/rad²]."""
        sp = self.sparsity
        na = sp.n_actuators
        out = np.zeros((self.tips.shape[0], self.tips.shape[1] * 3, na * na))
        az = np.argmax(sp.hess_sum, axis=1)
        out[:, sp.hess_row, az] = self.hess_values
        return out.reshape(*out.shape[:2], na, na)


class HandKinematics:
    """Fingertip kinematics of one hand, sim joints (NQ) and real actuators (NA) alike.

    Build it with :meth:`from_description` (the usual way) or from chains and a coupling
    ``q = A x + b`` (sim joints from actuators, mimics applied).
    """

    def __init__(
        self,
        chains: Sequence[Chain],
        joint_names: Sequence[str],
        actuator_names: Sequence[str],
        coupling: tuple[np.ndarray, np.ndarray],
        lower: np.ndarray,
        upper: np.ndarray,
        joint_lower: np.ndarray | None = None,
        joint_upper: np.ndarray | None = None,
    ) -> None:
        self.joint_names = tuple(joint_names)
        self.actuator_names = tuple(actuator_names)
        self.tip_frames = tuple(c.tip_frame for c in chains)
        A, b = (np.asarray(v, dtype=float) for v in coupling)
        nq, na = len(self.joint_names), len(self.actuator_names)
        if A.shape != (nq, na) or b.shape != (nq,):
            raise HandRetargetError(
                f"coupling: expected A ({nq}, {na}) and b ({nq},), found {A.shape} and {b.shape}"
            )
        self.coupling_matrix, self.coupling_offset = A, b
        self.lower = np.asarray(lower, dtype=float).reshape(na)  # [rad]
        self.upper = np.asarray(upper, dtype=float).reshape(na)  # [rad]
        if np.any(self.upper < self.lower):
            raise HandRetargetError(
                f"actuator limits: lower {self.lower} must not exceed upper {self.upper}"
            )
        # sim joint limits [rad] (default: the actuator limits pushed through the coupling)
        lo_q = A @ self.lower + b if joint_lower is None else joint_lower
        hi_q = A @ self.upper + b if joint_upper is None else joint_upper
        self.joint_lower = np.asarray(lo_q, dtype=float).reshape(nq)
        self.joint_upper = np.asarray(hi_q, dtype=float).reshape(nq)

        by_len: dict[int, list[int]] = {}
        for i, c in enumerate(chains):
            by_len.setdefault(len(c.joints), []).append(i)
        self._joint_groups = tuple(
            _JointGroup(
                tips=np.asarray(ids),
                joints=np.array([chains[i].joints for i in ids]),
                coeffs=np.stack([chains[i].coefficients() for i in ids]),
            )
            for ids in by_len.values()
        )
        by_slots: dict[int, list[int]] = {}
        for i, c in enumerate(chains):
            n_used = int(np.sum(np.any(A[list(c.joints)] != 0.0, axis=0)))
            if n_used not in (1, 2):
                raise HandRetargetError(
                    f"chain to {c.tip_frame!r}: driven by {n_used} actuators, expected 1 or 2"
                )
            by_slots.setdefault(n_used, []).append(i)
        rng = np.random.default_rng(0)  # sample poses of the exact fit (deterministic)
        self._act_groups = tuple(
            _actuator_group([chains[i] for i in ids], ids, A, b, self.tips_from_joints, rng)
            for ids in by_slots.values()
        )
        # every slot basis of every group in one flat vector, so one cos/sin serves them all
        act, omega, phase, spans = [], [], [], []
        start = 0
        for g in self._act_groups:
            gspans = []
            for s in range(g.slots.shape[1]):
                c, f = g.omega[s].shape
                act.append(np.repeat(g.slots[:, s], f))
                omega.append(g.omega[s].ravel())
                phase.append(g.phase[s].ravel())
                gspans.append((start, start + c * f, c, f))
                start += c * f
            spans.append(tuple(gspans))
        self._basis_act = np.concatenate(act)  # (K,) actuator of each basis function
        self._basis_omega = np.concatenate(omega)  # (K,) [1/rad]
        self._basis_phase = np.concatenate(phase)  # (K,) [rad]
        self._basis_d1 = -self._basis_omega
        self._basis_d2 = -(self._basis_omega**2)
        self._basis_spans = tuple(spans)
        # sparsity of the derivatives: every group's outputs (B, c, O, 3) are flattened side by
        # side; tips, Jacobian and Hessian entries are gathers from that flat array, and only
        # the structurally non-zero ones are kept (a chain moves with its own actuators only)
        tip_pos = np.zeros((len(chains), 3), dtype=int)
        jac: list[tuple[int, int, int]] = []  # (row = 3·tip + k, actuator, flat position)
        hess: list[tuple[int, int, int, int]] = []  # (row, actuator a, actuator z, position)
        offset = 0
        for g in self._act_groups:
            c, r = g.slots.shape
            n_o = 3**r
            for ci, tip in enumerate(g.tips):
                for k in range(3):
                    row, base = 3 * int(tip) + k, offset + ci * n_o * 3 + k
                    tip_pos[tip, k] = base
                    for s_, a in enumerate(g.slots[ci]):
                        jac.append((row, int(a), base + int(g.first[s_]) * 3))
                        for t_, z in enumerate(g.slots[ci]):
                            hess.append((row, int(a), int(z), base + int(g.second[s_, t_]) * 3))
            offset += c * n_o * 3
        self.sparsity = DerivativeSparsity.build(na, tip_pos.ravel(), jac, hess)
        # leader joint of each actuator: the joint it drives most directly (initial guesses)
        self.leaders = np.array([int(np.argmax(np.abs(A[:, a]))) for a in range(na)])

    @classmethod
    def from_description(cls, side: str) -> HandKinematics:
        """The hand of ``side`` ("left"/"right") from ``maniptrans_description.inspire``."""
        from maniptrans_retarget.hand_description import load_hand

        return load_hand(side)

    @property
    def n_tips(self) -> int:
        """M, the number of fingertips."""
        return len(self.tip_frames)

    @property
    def n_actuators(self) -> int:
        """NA, the number of real-hand actuators."""
        return len(self.actuator_names)

    @property
    def actuator_groups(self) -> tuple[_ActuatorGroup, ...]:
        """The chains grouped by how many actuators drive them (for the solver's assembly)."""
        return self._act_groups

    @property
    def joint_groups(self) -> tuple[_JointGroup, ...]:
        """The sim chains grouped by their number of joints (for the one-frame solver)."""
        return self._joint_groups

    def actuators_to_joints(self, x: np.ndarray) -> np.ndarray:
        """Sim joint positions (..., NQ) [rad] of actuator positions (..., NA), mimics applied."""
        return np.asarray(x, dtype=float) @ self.coupling_matrix.T + self.coupling_offset

    def initial_guess(self, q: np.ndarray) -> np.ndarray:
        """Actuator positions (..., NA) taken from the sim joints each actuator leads, clipped."""
        q = np.asarray(q, dtype=float)
        cols = np.arange(self.n_actuators)
        gain = self.coupling_matrix[self.leaders, cols]
        x = (q[..., self.leaders] - self.coupling_offset[self.leaders]) / gain
        return np.clip(x, self.lower, self.upper)

    def tips_from_joints(self, q: np.ndarray) -> np.ndarray:
        """Fingertips (..., M, 3) [m] in the hand base frame of sim joint positions (..., NQ)."""
        q = np.asarray(q, dtype=float)
        if q.shape[-1] != len(self.joint_names):
            raise HandRetargetError(
                f"joint positions: expected last axis {len(self.joint_names)}, found {q.shape}"
            )
        qb = q.reshape(-1, q.shape[-1])
        basis = np.stack([np.ones_like(qb), np.cos(qb), np.sin(qb)], -1)  # (B, NQ, 3)
        out = np.empty((qb.shape[0], self.n_tips, 3))
        for g in self._joint_groups:
            out[:, g.tips] = g.tips_of(basis)
        return out.reshape(*q.shape[:-1], self.n_tips, 3)

    def tips_from_actuators(self, x: np.ndarray) -> np.ndarray:
        """Fingertips (..., M, 3) [m] of real-hand actuator positions (..., NA) [rad]."""
        x = np.asarray(x, dtype=float)
        if x.shape[-1] != self.n_actuators:
            raise HandRetargetError(
                f"actuator positions: expected last axis {self.n_actuators}, found {x.shape}"
            )
        xb = x.reshape(-1, self.n_actuators)
        out = np.empty((xb.shape[0], self.n_tips, 3))
        for g, bases in zip(self._act_groups, self._slot_bases(xb, 0), strict=True):
            out[:, g.tips] = g.evaluate(bases)[:, :, 0]
        return out.reshape(*x.shape[:-1], self.n_tips, 3)

    def _slot_bases(self, x: np.ndarray, order: int) -> list[list[np.ndarray]]:
        """Per actuator group, per slot: bases (c, B, order+1, F) at actuators x (B, NA)."""
        arg = x[:, self._basis_act] * self._basis_omega - self._basis_phase  # (B, K)
        cos = np.cos(arg)
        rows = [cos]
        if order >= 1:
            rows.append(self._basis_d1 * np.sin(arg))
        if order >= 2:
            rows.append(self._basis_d2 * cos)
        stacked = np.stack(rows, 1)  # (B, o, K)
        nb, no = x.shape[0], order + 1
        return [
            [
                stacked[:, :, a:z].reshape(nb, no, c, f).transpose(2, 0, 1, 3)
                for a, z, c, f in spans
            ]
            for spans in self._basis_spans
        ]

    def derivatives(self, x: np.ndarray) -> TipDerivatives:
        """Tips and their first and second derivatives at actuators ``x`` (B, NA) [rad]."""
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[1] != self.n_actuators:
            raise HandRetargetError(
                f"actuator positions: expected shape (B, {self.n_actuators}), found {x.shape}"
            )
        nb = x.shape[0]
        parts = [
            g.evaluate(bases).reshape(nb, -1)
            for g, bases in zip(self._act_groups, self._slot_bases(x, 2), strict=True)
        ]
        flat = np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]
        sp = self.sparsity
        return TipDerivatives(
            tips=flat[:, sp.tip_pos].reshape(nb, self.n_tips, 3),
            jac_values=flat[:, sp.jac_pos],
            hess_values=flat[:, sp.hess_pos],
            sparsity=sp,
        )
