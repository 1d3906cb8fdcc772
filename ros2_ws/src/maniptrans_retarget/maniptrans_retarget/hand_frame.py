"""Streaming mode's one-frame problem, split into independent fingertip blocks.

Per frame, streaming mode minimises

    f(x) = 1/M Σ_i w_i ‖tip_i(x) − y_i‖² + w_s ‖x − x_prev‖²,   lower ≤ x ≤ upper.

Every actuator of the hand moves exactly one fingertip (little, ring, middle and index one each;
the thumb's tip follows both thumb actuators) and the smoothness term is a sum over actuators, so
f is a sum of M independent terms, one per fingertip *block* of one or two actuators, and its
Hessian is block diagonal: a projected Newton step is M scalar or 2×2 solves, written out, and
each block has its own line search and stopping test. Every block has two variables; a finger
driven by one actuator gets a *phantom* second variable that nothing depends on (unit Hessian,
zero gradient, no bounds), so all blocks share one code path.

**Kinematics as one matrix product.** A block's tip is a trigonometric polynomial of its
variables: products of ``cos(ω x − φ)`` along the mimic-coupled chain are sums of ``cos(Ω·x)``
and ``sin(Ω·x)`` over frequency vectors Ω (per variable ±ω, ω from the exact per-actuator
frequencies of :class:`~maniptrans_retarget.hand_kinematics.HandKinematics`). The coefficients
are fitted once on sample poses and the fit is checked to be exact. With ``v(x)`` the vector of
all ``1, cos(Ω·x), sin(Ω·x)``, the matrix ``Z`` (M, 3, 6) of every block's weighted tip residual
``√(2w/M) (p − y)`` and its first and second derivatives along the block's variables (columns:
value, ∂₁, ∂₂, ∂₁₁, ∂₁₂, ∂₂₂) is linear in ``v``: ``Z = K v − Y`` with a constant K. Every tip
term of the cost, gradient and Hessian is then an entry of the per-block Gram matrix ``Zᵀ Z``.
One evaluation is one cos call and three small matrix products, whatever the hand.

The sim fingertips (the targets) are the same kind of polynomial of the sim joints (vectors in
{−1, 0, 1}ⁿ over a chain's n joints), so ``Y`` of a frame is one matrix product as well.

Numpy does the kinematics; the per-block arithmetic on the 9 Gram entries of each of the M = 5
blocks runs on Python floats, which for so few numbers is several times cheaper than array
operations (this solve runs once per frame in the streaming node).

Shapes: M blocks (= fingertips, thumb..pinky); block variables as flat lists of 2M floats [rad]
(block m owns entries 2m and 2m + 1).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from maniptrans_retarget.hand_errors import HandRetargetError
from maniptrans_retarget.hand_kinematics import HandKinematics

_ARMIJO = 1e-4  # sufficient-decrease fraction of the line search
_MAX_HALVINGS = 30  # line-search step halvings before a block is declared stationary
_ACTIVE_EPS = 1e-12  # [rad] a variable this close to a bound counts as on it
_DAMPING = 1e-9  # relative ridge of the Gauss–Newton fallback
_FIT_TOLERANCE = 1e-10  # [m] largest residual accepted from an exact trigonometric fit
_FIT_RANGE = 8.0  # [rad] sample poses of the fits are drawn from [−8, 8] (well conditioned)
# entries of a block's flattened 6×6 Gram matrix ZᵀZ used: r·r, r·∂₁, r·∂₂, r·∂₁₁, r·∂₁₂,
# r·∂₂₂, ∂₁·∂₁, ∂₁·∂₂, ∂₂·∂₂ (r the weighted residual, ∂ its derivatives)
_GRAM = np.array([0, 1, 2, 3, 4, 5, 7, 8, 14])


class FrameResult(NamedTuple):
    """One frame's solution. ``blocks`` (2M floats) [rad]: the output; ``last`` [rad] and
    ``last_rows``: the last iterate evaluated and its :meth:`FrameSolver.rows` (the next warm
    start)."""

    blocks: list[float]
    last: list[float]
    last_rows: np.ndarray
    iterations: int
    converged: bool


@dataclass(frozen=True)
class _Tables:
    """Weight-independent tables of one hand (see the module doc); built once per hand."""

    position: np.ndarray  # (NA,) flat block variable of each actuator
    phantom: tuple[bool, ...]  # (2M,) the variable is a phantom
    lower: tuple[float, ...]  # (2M,) [rad] (phantoms: −inf)
    upper: tuple[float, ...]  # (2M,) [rad] (phantoms: +inf)
    arg: np.ndarray  # (n_v, 2M + 1): v = cos(arg @ [x, 1])
    z_coeffs: np.ndarray  # (M·3·6, n_v): unweighted Z + Y = z_coeffs @ v, rows (m, coord, col)
    sim_arg: np.ndarray  # (K, NQ + 1): sim basis = cos(sim_arg @ [q, 1])
    sim_coeffs: np.ndarray  # (M·3, K): sim tips = sim_coeffs @ sim basis


class FrameSolver:
    """Block-diagonal projected Newton for one frame of streaming mode (immutable, shareable).

    ``tip_weights`` (M,): w_i of the objective above (thumb..pinky), dimensionless.
    """

    def __init__(self, kin: HandKinematics, tip_weights: Sequence[float]) -> None:
        m = kin.n_tips
        w = np.asarray(tip_weights, dtype=float).reshape(-1)
        if w.shape != (m,) or not np.all(np.isfinite(w) & (w >= 0.0)):
            raise HandRetargetError(
                f"tip_weights: expected {m} finite values >= 0, found {tip_weights}"
            )
        t = _tables(kin)
        self.n_blocks, self.n_actuators = m, kin.n_actuators
        self.n_joints = len(kin.joint_names)
        self._t = t
        root = np.sqrt(2.0 * w / m)  # Z rows of block m carry √(2 w_m / M)
        self._z_coeffs = t.z_coeffs * np.repeat(root, 18)[:, None]
        value_rows = (np.arange(3 * m) * 6)[:, None]  # rows (m, coord, column 0) of Z
        self._y_coeffs = np.zeros((18 * m, t.sim_coeffs.shape[1]))
        self._y_coeffs[value_rows[:, 0]] = -np.repeat(root, 3)[:, None] * t.sim_coeffs
        self._pos = t.position.tolist()
        self._sim_freq = np.ascontiguousarray(t.sim_arg[:, :-1])  # (K, NQ) [1]
        self._sim_shift = t.sim_arg[:, -1].copy()  # (K,) [rad]

    # -- conversions --------------------------------------------------------------------------

    def to_blocks(self, x: np.ndarray) -> list[float]:
        """Block variables (2M floats) of actuator positions (NA,) [rad] (phantoms at 0)."""
        xs = [0.0] * (2 * self.n_blocks)
        for a, p in enumerate(self._pos):
            xs[p] = float(x[a])
        return xs

    def to_actuators(self, xs: Sequence[float]) -> np.ndarray:
        """Actuator positions (NA,) [rad] of block variables (2M floats)."""
        return np.array([xs[p] for p in self._pos])

    # -- kinematics ---------------------------------------------------------------------------

    def sim_tips(self, q: np.ndarray) -> np.ndarray:
        """Sim fingertips (M, 3) [m] of one frame of sim joint positions (NQ,) [rad]."""
        basis = np.cos(self._t.sim_arg @ np.append(q, 1.0))
        return (self._t.sim_coeffs @ basis).reshape(self.n_blocks, 3)

    def targets(self, q: np.ndarray) -> np.ndarray:
        """``Y`` (M·3·6,) of the module doc for sim joint positions (NQ,) [rad]."""
        return self._y_coeffs @ np.cos(self._sim_freq @ q + self._sim_shift)

    def values(self, xs: Sequence[float]) -> np.ndarray:
        """The basis vector v (n_v,) at block variables (2M floats) [rad]."""
        return np.cos(self._t.arg @ np.array([*xs, 1.0]))

    def tip_derivatives(self, xs: Sequence[float]) -> np.ndarray:
        """Real-hand tips and derivatives (M, 6, 3) at block variables (2M floats) [rad].

        Rows: tip [m], ∂/∂x₁, ∂/∂x₂ [m/rad], ∂²/∂x₁², ∂²/∂x₁∂x₂, ∂²/∂x₂² [m/rad²].
        """
        z = (self._t.z_coeffs @ self.values(xs)).reshape(self.n_blocks, 3, 6)
        return z.transpose(0, 2, 1)

    def rows(self, xs: Sequence[float]) -> np.ndarray:
        """``Z + Y`` (M·3·6,) of the module doc at block variables (2M floats) [rad]."""
        return self._z_coeffs @ np.cos(self._t.arg @ np.array([*xs, 1.0]))

    def _gram(self, rows: np.ndarray, y: np.ndarray) -> list[list[float]]:
        """Per block, the 9 used entries of ZᵀZ (see _GRAM), as Python floats."""
        z = (rows + y).reshape(self.n_blocks, 3, 6)
        gram = np.matmul(z.transpose(0, 2, 1), z).reshape(self.n_blocks, 36)
        return gram.take(_GRAM, axis=1).tolist()

    # -- the solver ---------------------------------------------------------------------------

    def solve(
        self,
        y: np.ndarray,
        start: Sequence[float],
        start_rows: np.ndarray | None,
        prev: Sequence[float],
        smooth_weight: float,
        max_iterations: int,
        step_tolerance: float,
        final_newton_step: float,
    ) -> FrameResult:
        """Minimise the frame objective from ``start`` (2M floats, inside the bounds) [rad].

        ``y``: :meth:`targets` of the frame; ``start_rows``: :meth:`rows` at ``start`` if
        known; ``prev`` (2M floats) [rad] and ``smooth_weight`` w_s [m²/rad²]: the smoothness
        term. Stopping rule per block as in
        :class:`~maniptrans_retarget.hand_retarget.RetargetConfig`: a block is done after an
        exact Newton step of at most ``final_newton_step`` (taken without a further
        evaluation) or any step of at most ``step_tolerance`` [rad].
        """
        two_ws = 2.0 * smooth_weight
        lo, hi = self._t.lower, self._t.upper
        x = list(start)
        rows = self.rows(x) if start_rows is None else start_rows
        terms = _block_terms(self._gram(rows, y), x, prev, two_ws, self._t.phantom)
        out = list(x)
        open_blocks = range(self.n_blocks)
        it = 0
        while it < max_iterations:
            it += 1
            moving = []  # (block, d₁, d₂) of the blocks that take a searched step
            for b in open_blocks:
                i = 2 * b
                d1, d2, exact = _block_direction(terms[b], x[i], x[i + 1], lo, hi, i)
                limit = final_newton_step if exact else step_tolerance
                if -limit <= d1 <= limit and -limit <= d2 <= limit:  # the last, tiny step
                    out[i] = min(max(x[i] + d1, lo[i]), hi[i])
                    out[i + 1] = min(max(x[i + 1] + d2, lo[i + 1]), hi[i + 1])
                else:
                    moving.append((b, d1, d2))
            if not moving:
                return FrameResult(out, x, rows, it, True)
            xn, rows, terms_n = self._line_search(y, x, terms, moving, prev, two_ws)
            open_blocks = []
            for b, _, _ in moving:
                i = 2 * b
                if xn[i] == x[i] and xn[i + 1] == x[i + 1]:  # no decrease possible: stationary
                    out[i], out[i + 1] = x[i], x[i + 1]
                else:
                    open_blocks.append(b)
            x, terms = xn, terms_n
            if not open_blocks:
                return FrameResult(out, x, rows, it, True)
        for b in open_blocks:
            out[2 * b], out[2 * b + 1] = x[2 * b], x[2 * b + 1]
        return FrameResult(out, x, rows, it, False)

    def _line_search(
        self,
        y: np.ndarray,
        x: list[float],
        terms: list[tuple[float, ...]],
        moving: list[tuple[int, float, float]],
        prev: Sequence[float],
        two_ws: float,
    ) -> tuple[list[float], np.ndarray, list[tuple[float, ...]]]:
        """Backtracking Armijo search along each block's projected path, blocks independent.

        Returns the new iterate, its :meth:`rows` and its block terms. A block that finds no
        decrease in ``_MAX_HALVINGS`` halvings keeps its variables.
        """
        lo, hi = self._t.lower, self._t.upper
        pending = [(b, d1, d2, 1.0) for b, d1, d2 in moving]  # with the step length to try
        xn = list(x)
        for _ in range(_MAX_HALVINGS + 1):
            for b, d1, d2, t in pending:
                i = 2 * b
                xn[i] = min(max(x[i] + t * d1, lo[i]), hi[i])
                xn[i + 1] = min(max(x[i + 1] + t * d2, lo[i + 1]), hi[i + 1])
            rows = self.rows(xn)
            terms_n = _block_terms(self._gram(rows, y), xn, prev, two_ws, self._t.phantom)
            failed = []
            for b, d1, d2, t in pending:
                i = 2 * b
                f2, g1, g2 = terms[b][:3]
                # Armijo on twice the cost: 2 f(xn) ≤ 2 f(x) + 2 c g·(xn − x)
                bound = f2 + 2.0 * _ARMIJO * (g1 * (xn[i] - x[i]) + g2 * (xn[i + 1] - x[i + 1]))
                if terms_n[b][0] > bound:
                    failed.append((b, d1, d2, 0.5 * t))
            if not failed:
                return xn, rows, terms_n
            pending = failed
        for b, _, _, _ in pending:  # no decrease found: the block stays where it is
            xn[2 * b], xn[2 * b + 1] = x[2 * b], x[2 * b + 1]
        rows = self.rows(xn)
        return xn, rows, _block_terms(self._gram(rows, y), xn, prev, two_ws, self._t.phantom)


def _block_terms(
    gram: list[list[float]],
    x: Sequence[float],
    prev: Sequence[float],
    two_ws: float,
    phantom: Sequence[bool],
) -> list[tuple[float, ...]]:
    """Per block: (2f, g₁, g₂, h₁₁, h₁₂, h₂₂, n₁₁, n₁₂, n₂₂): twice its cost [m²], gradient
    [m²/rad], exact and Gauss–Newton Hessians [m²/rad²], the smoothness 2 w_s added and a
    phantom second variable given a unit Hessian."""
    out = []
    i = 0
    for rr, r1, r2, r11, r12, r22, j11, j12, j22 in gram:
        e1 = x[i] - prev[i]
        e2 = x[i + 1] - prev[i + 1]  # 0 for a phantom
        n11 = j11 + two_ws
        n22 = 1.0 if phantom[i + 1] else j22 + two_ws
        out.append(
            (
                rr + two_ws * (e1 * e1 + e2 * e2),
                r1 + two_ws * e1,
                r2 + two_ws * e2,
                n11 + r11,
                j12 + r12,
                n22 + r22,
                n11,
                j12,
                n22,
            )
        )
        i += 2
    return out


def _block_direction(
    terms: tuple[float, ...],
    x1: float,
    x2: float,
    lo: Sequence[float],
    hi: Sequence[float],
    i: int,
) -> tuple[float, float, bool]:
    """Projected Newton direction of the block with variables x₁ = x[i], x₂ = x[i + 1].

    A variable on a bound its gradient pushes towards is held (Bertsekas' active set): its
    gradient entry is dropped and its Hessian row and column become the unit matrix's. Exact
    Hessian where that is positive definite (then the direction descends), else Gauss–Newton
    with a small ridge, else steepest descent. Returns (d₁, d₂, exact).
    """
    _, g1, g2, h11, h12, h22, n11, n12, n22 = terms
    free1 = not (
        (x1 <= lo[i] + _ACTIVE_EPS and g1 > 0.0) or (x1 >= hi[i] - _ACTIVE_EPS and g1 < 0.0)
    )
    free2 = not (
        (x2 <= lo[i + 1] + _ACTIVE_EPS and g2 > 0.0)
        or (x2 >= hi[i + 1] - _ACTIVE_EPS and g2 < 0.0)
    )
    if not free1:
        g1, h11, h12, n11, n12 = 0.0, 1.0, 0.0, 1.0, 0.0
    if not free2:
        g2, h22, h12, n22, n12 = 0.0, 1.0, 0.0, 1.0, 0.0
    det = h11 * h22 - h12 * h12
    if h11 > 0.0 and det > 0.0:
        return (h12 * g2 - h22 * g1) / det, (h12 * g1 - h11 * g2) / det, True
    ridge = _DAMPING * max(n11, n22)
    n11 += ridge
    n22 += ridge
    det = n11 * n22 - n12 * n12
    if n11 > 0.0 and det > 0.0:
        return (n12 * g2 - n22 * g1) / det, (n12 * g1 - n11 * g2) / det, False
    return -g1, -g2, False


# -- building the tables ------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _tables(kin: HandKinematics) -> _Tables:
    """The weight-independent tables of ``kin`` (fits included; cached per hand object)."""
    m, na = kin.n_tips, kin.n_actuators
    slots, freq_sets = _blocks(kin)
    position = np.zeros(na, dtype=int)
    phantom = [True] * (2 * m)
    for t, acts in enumerate(slots):
        for s, a in enumerate(acts):
            position[a] = 2 * t + s
            phantom[2 * t + s] = False
    lower = np.full(2 * m, -np.inf)
    upper = np.full(2 * m, np.inf)
    lower[position], upper[position] = kin.lower, kin.upper

    vectors = [_frequency_vectors(fs) for fs in freq_sets]  # per block (n_b, 2) [1/rad]
    coeffs = _fit(
        kin.tips_from_actuators, na, [list(s) for s in slots], vectors, kin.tip_frames
    )  # per block (1 + 2 n_b, 3): on 1, cos(Ω·x), sin(Ω·x)
    # v = [1, cos(Ω_u·x) for all u, sin(Ω_u·x) for all u]
    n_u = sum(v.shape[0] for v in vectors)
    arg = np.zeros((1 + 2 * n_u, 2 * m + 1))
    arg[1 + n_u :, -1] = -np.pi / 2  # sin θ = cos(θ − π/2)
    z_coeffs = np.zeros((m, 3, 6, 1 + 2 * n_u))
    start = 0
    for b, (vec, coef) in enumerate(zip(vectors, coeffs, strict=True)):
        k = vec.shape[0]
        c = 1 + start + np.arange(k)  # positions of cos(Ω_u·x) in v
        s = c + n_u  # and of sin(Ω_u·x)
        for u_arg in (c, s):
            arg[u_arg, 2 * b] = vec[:, 0]
            arg[u_arg, 2 * b + 1] = vec[:, 1]
        o1, o2 = vec[:, 0], vec[:, 1]
        a_c, a_s = coef[1 : 1 + k].T, coef[1 + k :].T  # (3, k) on cos and on sin
        z = z_coeffs[b]  # (3, 6, n_v): columns value, ∂₁, ∂₂, ∂₁₁, ∂₁₂, ∂₂₂
        z[:, 0, 0] = coef[0]
        # a cos(θ) + b sin(θ): ∂ = Ω (b cos − a sin), ∂∂ = −Ω Ω (a cos + b sin)
        for col, (fc, fs) in enumerate(
            [(1.0, 1.0), (o1, o1), (o2, o2), (-o1 * o1,) * 2, (-o1 * o2,) * 2, (-o2 * o2,) * 2]
        ):
            if col in (1, 2):
                z[:, col, c] = fs * a_s
                z[:, col, s] = -fc * a_c
            else:
                z[:, col, c] = fc * a_c
                z[:, col, s] = fs * a_s
        start += k
    sim_arg, sim_coeffs = _sim_tip_polynomial(kin)
    return _Tables(
        position=position,
        phantom=tuple(phantom),
        lower=tuple(float(v) for v in lower),
        upper=tuple(float(v) for v in upper),
        arg=arg,
        z_coeffs=z_coeffs.reshape(m * 18, -1),
        sim_arg=sim_arg,
        sim_coeffs=sim_coeffs,
    )


def _blocks(kin: HandKinematics) -> tuple[list[list[int]], list[list[np.ndarray]]]:
    """Per fingertip: its actuators and each one's frequencies [1/rad] (phantom: {0}).

    Raises HandRetargetError unless every actuator moves exactly one fingertip.
    """
    m, na = kin.n_tips, kin.n_actuators
    slots: list[list[int]] = [[] for _ in range(m)]
    freqs: list[list[np.ndarray]] = [[] for _ in range(m)]
    for g in kin.actuator_groups:
        for ci, tip in enumerate(g.tips):
            slots[int(tip)] = [int(a) for a in g.slots[ci]]
            freqs[int(tip)] = [np.unique(np.abs(g.omega[s][ci])) for s in range(g.slots.shape[1])]
    owners = [[t for t in range(m) if a in slots[t]] for a in range(na)]
    if any(len(o) != 1 for o in owners) or any(not 1 <= len(s) <= 2 for s in slots):
        raise HandRetargetError(
            "frame solver: expected every actuator to move exactly one fingertip, found "
            + ", ".join(
                f"{kin.actuator_names[a]} -> {[kin.tip_frames[t] for t in o]}"
                for a, o in enumerate(owners)
            )
        )
    for f in freqs:
        if len(f) == 1:
            f.append(np.zeros(1))  # the phantom variable
    return slots, freqs


def _frequency_vectors(freq_sets: Sequence[np.ndarray]) -> np.ndarray:
    """Non-zero vectors (±ω₁, ±ω₂, …), ω_v from each variable's set, one of each ± pair (n, V)."""
    found = set()
    for combo in itertools.product(*[np.unique(np.abs(f)) for f in freq_sets]):
        for signs in itertools.product((1.0, -1.0), repeat=len(combo)):
            v = tuple(round(float(s * c), 9) + 0.0 for s, c in zip(signs, combo, strict=True))
            nonzero = [c for c in v if c != 0.0]
            if nonzero and nonzero[0] > 0.0:
                found.add(v)
    return np.array(sorted(found), dtype=float).reshape(-1, len(freq_sets))


def _fit(
    tips_of: Callable[[np.ndarray], np.ndarray],
    n_vars: int,
    variables: Sequence[Sequence[int]],
    vectors: Sequence[np.ndarray],
    names: Sequence[str],
) -> list[np.ndarray]:
    """Per tip: coefficients (1 + 2 n, 3) [m] on 1, cos(Ω·x), sin(Ω·x) of its n vectors Ω.

    ``tips_of`` maps poses (N, n_vars) to tips (N, M, 3); tip t depends only on the variables
    ``variables[t]`` (its vectors' leading components). Raises unless the fit is exact.
    """
    rng = np.random.default_rng(0)  # sample poses of the fits (deterministic)
    n_max = max(v.shape[0] for v in vectors)
    x = rng.uniform(-_FIT_RANGE, _FIT_RANGE, (max(20 * n_max, 200), n_vars))
    pos = tips_of(x)
    out = []
    for t, (var, vec) in enumerate(zip(variables, vectors, strict=True)):
        arg = x[:, list(var)] @ vec[:, : len(var)].T  # (N, n)
        design = np.hstack([np.ones((x.shape[0], 1)), np.cos(arg), np.sin(arg)])
        # normal equations: the basis is near-orthogonal on these samples (and the residual
        # is checked), and they are much cheaper than an SVD-based least-squares solve
        sol = np.linalg.solve(design.T @ design, design.T @ pos[:, t])
        worst = float(np.max(np.abs(design @ sol - pos[:, t])))
        if not math.isfinite(worst) or worst > _FIT_TOLERANCE:
            raise HandRetargetError(
                f"chain to {names[t]!r}: trigonometric fit residual {worst:.3g} m, expected "
                f"< {_FIT_TOLERANCE:g} m (are the mimic couplings affine?)"
            )
        out.append(sol)
    return out


def _sim_tip_polynomial(kin: HandKinematics) -> tuple[np.ndarray, np.ndarray]:
    """Sim fingertips as ``C @ cos(A @ [q, 1])``: A (K, NQ + 1), C (M·3, K).

    A chain of n joints contributes 1, cos(Ω·q), sin(Ω·q) for its vectors Ω ∈ {−1, 0, 1}ⁿ (its
    tip is a sum of products of 1, cos q_j, sin q_j).
    """
    nq, m = len(kin.joint_names), kin.n_tips
    chains: list[list[int]] = [[] for _ in range(m)]
    for g in kin.joint_groups:
        for tip, joints in zip(g.tips, g.joints, strict=True):
            chains[int(tip)] = [int(j) for j in joints]
    vectors = [_frequency_vectors([np.array([0.0, 1.0])] * len(c)) for c in chains]
    coeffs = _fit(kin.tips_from_joints, nq, chains, vectors, kin.tip_frames)
    n_u = sum(v.shape[0] for v in vectors)
    arg = np.zeros((1 + 2 * n_u, nq + 1))
    arg[1 + n_u :, -1] = -np.pi / 2  # sin θ = cos(θ − π/2)
    c_all = np.zeros((3 * m, 1 + 2 * n_u))
    start = 0
    for t, (chain, vec, coef) in enumerate(zip(chains, vectors, coeffs, strict=True)):
        k = vec.shape[0]
        c = 1 + start + np.arange(k)
        s = c + n_u
        arg[np.ix_(c, chain)] = vec
        arg[np.ix_(s, chain)] = vec
        c_all[3 * t : 3 * t + 3, np.concatenate([[0], c, s])] = coef.T
        start += k
    return arg, c_all
