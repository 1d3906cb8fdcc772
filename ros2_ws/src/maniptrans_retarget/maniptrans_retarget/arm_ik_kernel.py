"""Compiled inner loop of the arm IK: forward kinematics, flange Jacobian and the DLS iterations.

Why compiled: at 1 kHz a solve has ~0.1 ms, and one Python-level Pinocchio/numpy call costs ~1 µs,
so an interpreted iteration (~25 µs measured) leaves no margin. The kernel works on the kinematic
chain *extracted from the Pinocchio model* (``ArmKinematics.chain``: fixed joint placements, joint
axes, flange placement), so the URDF stays the single source of the geometry; the tests check the
kernel's FK and Jacobian against Pinocchio's.

Numba compiles these functions on first use (cached on disk). Without numba the very same code
runs interpreted: correct, about 100x slower.

Shapes: placements (7, 4, 4) parent joint frame -> joint frame at q = 0; axes (7, 3) unit joint
axes in the joint frame; flange (4, 4) joint-7 frame -> flange. All lengths [m], angles [rad].
"""

from __future__ import annotations

import math

import numpy as np

try:
    from numba import njit

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised only where numba is not installed
    HAVE_NUMBA = False

    def njit(*args, **kwargs):
        """Stand-in for numba.njit: leaves the function interpreted."""
        if args and callable(args[0]):
            return args[0]
        return lambda fn: fn


_NJ = 7


@njit(cache=True)
def fk_jacobian(placements, axes, flange, q, R_out, p_out, J_out):  # pragma: no cover
    """Flange rotation R_out (3, 3), position p_out (3,) in the base frame and, when J_out has 7
    columns, the Jacobian J_out (6, 7): rows 0-2 linear velocity of the flange origin, rows 3-5
    angular velocity, both in base-frame coordinates."""
    n = q.shape[0]
    R = np.eye(3)
    p = np.zeros(3)
    origins = np.empty((n, 3))
    zs = np.empty((n, 3))
    Rn = np.empty((3, 3))
    for i in range(n):
        M = placements[i]
        # p <- p + R M_p ; R <- R M_R
        for r in range(3):
            p[r] += R[r, 0] * M[0, 3] + R[r, 1] * M[1, 3] + R[r, 2] * M[2, 3]
        for r in range(3):
            for c in range(3):
                Rn[r, c] = R[r, 0] * M[0, c] + R[r, 1] * M[1, c] + R[r, 2] * M[2, c]
        # joint rotation about axis a (joint frame) by q[i], Rodrigues: I + s K + (1 - c) K²
        ax, ay, az = axes[i, 0], axes[i, 1], axes[i, 2]
        s = math.sin(q[i])
        c = math.cos(q[i])
        v = 1.0 - c
        r00 = c + ax * ax * v
        r01 = ax * ay * v - az * s
        r02 = ax * az * v + ay * s
        r10 = ay * ax * v + az * s
        r11 = c + ay * ay * v
        r12 = ay * az * v - ax * s
        r20 = az * ax * v - ay * s
        r21 = az * ay * v + ax * s
        r22 = c + az * az * v
        for r in range(3):
            zs[i, r] = Rn[r, 0] * ax + Rn[r, 1] * ay + Rn[r, 2] * az
            origins[i, r] = p[r]
            a0, a1, a2 = Rn[r, 0], Rn[r, 1], Rn[r, 2]
            R[r, 0] = a0 * r00 + a1 * r10 + a2 * r20
            R[r, 1] = a0 * r01 + a1 * r11 + a2 * r21
            R[r, 2] = a0 * r02 + a1 * r12 + a2 * r22
    for r in range(3):
        p[r] += R[r, 0] * flange[0, 3] + R[r, 1] * flange[1, 3] + R[r, 2] * flange[2, 3]
    for r in range(3):
        for c in range(3):
            R_out[r, c] = R[r, 0] * flange[0, c] + R[r, 1] * flange[1, c] + R[r, 2] * flange[2, c]
        p_out[r] = p[r]
    if J_out.shape[1] == n:
        for i in range(n):
            dx = p[0] - origins[i, 0]
            dy = p[1] - origins[i, 1]
            dz = p[2] - origins[i, 2]
            zx, zy, zz = zs[i, 0], zs[i, 1], zs[i, 2]
            J_out[0, i] = zy * dz - zz * dy
            J_out[1, i] = zz * dx - zx * dz
            J_out[2, i] = zx * dy - zy * dx
            J_out[3, i] = zx
            J_out[4, i] = zy
            J_out[5, i] = zz


@njit(cache=True)
def log3(R, out):  # pragma: no cover
    """Rotation vector out (3,) [rad] of the rotation matrix R (3, 3), angle in [0, π]."""
    vx = R[2, 1] - R[1, 2]
    vy = R[0, 2] - R[2, 0]
    vz = R[1, 0] - R[0, 1]
    two_sin = math.sqrt(vx * vx + vy * vy + vz * vz)  # 2 sin θ
    cos_t = 0.5 * (R[0, 0] + R[1, 1] + R[2, 2] - 1.0)
    theta = math.atan2(0.5 * two_sin, cos_t)
    if cos_t > -0.99:  # θ < ~172°: the skew part gives the axis accurately
        if two_sin < 1e-12:
            scale = 0.5  # θ ≈ sin θ
        else:
            scale = theta / two_sin
        out[0] = scale * vx
        out[1] = scale * vy
        out[2] = scale * vz
        return theta
    # Near π: the axis from the symmetric part, R + Rᵀ = 2 cos θ I + 2 (1 - cos θ) a aᵀ.
    one_m_c = 1.0 - cos_t
    k = 0
    best = R[0, 0]
    if R[1, 1] > best:
        k = 1
        best = R[1, 1]
    if R[2, 2] > best:
        k = 2
    a = np.empty(3)
    a[k] = math.sqrt(max(0.0, (R[k, k] - cos_t) / one_m_c))
    vk = vx if k == 0 else (vy if k == 1 else vz)
    if vk < 0.0:  # the skew part still carries the sign of a_k sin θ
        a[k] = -a[k]
    for j in range(3):
        if j != k:
            a[j] = (R[j, k] + R[k, j]) / (2.0 * one_m_c * a[k])
    norm = math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])
    for j in range(3):
        out[j] = theta * a[j] / norm
    return theta


@njit(cache=True)
def _dls(Jw, ew, lam_sq, free, out):  # pragma: no cover
    """out[free] = Jfᵀ (Jf Jfᵀ + λ² I)⁻¹ ew for the free columns Jf of Jw (6, n); out[~free]
    untouched. A 6x6 Cholesky solve."""
    n = Jw.shape[1]
    A = np.empty((6, 6))
    for r in range(6):
        for c in range(r + 1):
            acc = 0.0
            for j in range(n):
                if free[j]:
                    acc += Jw[r, j] * Jw[c, j]
            A[r, c] = acc
        A[r, r] += lam_sq
    L = np.zeros((6, 6))
    for r in range(6):
        for c in range(r + 1):
            acc = A[r, c]
            for k in range(c):
                acc -= L[r, k] * L[c, k]
            if r == c:
                L[r, r] = math.sqrt(max(acc, 1e-300))
            else:
                L[r, c] = acc / L[c, c]
    y = np.empty(6)
    for r in range(6):
        acc = ew[r]
        for k in range(r):
            acc -= L[r, k] * y[k]
        y[r] = acc / L[r, r]
    x = np.empty(6)
    for r in range(5, -1, -1):
        acc = y[r]
        for k in range(r + 1, 6):
            acc -= L[k, r] * x[k]
        x[r] = acc / L[r, r]
    for j in range(n):
        if free[j]:
            acc = 0.0
            for r in range(6):
                acc += Jw[r, j] * x[r]
            out[j] = acc


@njit(cache=True)
def _inside(dq, lo_k, hi_k):  # pragma: no cover
    for j in range(dq.shape[0]):
        if dq[j] < lo_k[j] or dq[j] > hi_k[j]:
            return False
    return True


@njit(cache=True)
def _damped_cost(Jw, ew, lam_sq, dq):  # pragma: no cover
    """||Jw dq - ew||² + λ² ||dq||²: the objective a damped least-squares step minimises."""
    n = dq.shape[0]
    acc = 0.0
    for r in range(6):
        res = -ew[r]
        for j in range(n):
            res += Jw[r, j] * dq[j]
        acc += res * res
    for j in range(n):
        acc += lam_sq * dq[j] * dq[j]
    return acc


@njit(cache=True)
def _task_step(Jw, ew, lam_sq, lo_k, hi_k, dq, free):  # pragma: no cover
    """Damped least-squares step dq inside [lo_k, hi_k]: joints that would leave the box are held
    at their bound and the task is re-solved with the others (active set). ``free`` (out) marks
    the joints left free. Returns True when no joint had to be held.

    Holding joints at the bound their unconstrained step points to can cost more than it saves
    (when most joints are held, the few free ones cannot make up for it): then the unconstrained
    step, scaled down as a whole to fit the box, is taken instead. It lies between no step and the
    unconstrained minimiser of a convex objective, so the step taken never increases the damped
    linearised error; a step-limited stream therefore keeps approaching a reachable target."""
    n = dq.shape[0]
    for j in range(n):
        free[j] = True
    _dls(Jw, ew, lam_sq, free, dq)
    if _inside(dq, lo_k, hi_k):
        return True
    scaled = dq.copy()
    scale = 1.0
    for j in range(n):
        if scaled[j] > hi_k[j]:
            scale = min(scale, max(0.0, hi_k[j]) / scaled[j])
        elif scaled[j] < lo_k[j]:
            scale = min(scale, min(0.0, lo_k[j]) / scaled[j])
    for j in range(n):
        scaled[j] *= scale
    r = np.empty(6)
    for _ in range(n):
        any_viol = False
        for j in range(n):
            if free[j] and (dq[j] < lo_k[j] or dq[j] > hi_k[j]):
                free[j] = False
                dq[j] = min(max(dq[j], lo_k[j]), hi_k[j])
                any_viol = True
        if not any_viol:
            break
        n_free = 0
        for row in range(6):
            acc = ew[row]
            for j in range(n):
                if not free[j]:
                    acc -= Jw[row, j] * dq[j]
            r[row] = acc
        for j in range(n):
            if free[j]:
                n_free += 1
        if n_free == 0:
            break
        _dls(Jw, r, lam_sq, free, dq)
    for j in range(n):
        dq[j] = min(max(dq[j], lo_k[j]), hi_k[j])
    if _damped_cost(Jw, ew, lam_sq, scaled) < _damped_cost(Jw, ew, lam_sq, dq):
        for j in range(n):
            dq[j] = min(max(scaled[j], lo_k[j]), hi_k[j])
            free[j] = lo_k[j] < dq[j] < hi_k[j]
    return False


@njit(cache=True)
def _null_space_step(Jw, dq, wish, free, lam_sq, lo_k, hi_k, applied):  # pragma: no cover
    """Add to dq the part of ``wish`` that leaves the flange still (damped null space of the free
    joints), scaled down so that dq stays inside [lo_k, hi_k]; ``applied`` gets what was added."""
    n = dq.shape[0]
    for j in range(n):
        applied[j] = 0.0
    n_free = 0
    for j in range(n):
        if free[j]:
            n_free += 1
    if n_free <= 6:
        return
    jw = np.zeros(6)
    for row in range(6):
        acc = 0.0
        for j in range(n):
            if free[j]:
                acc += Jw[row, j] * wish[j]
        jw[row] = acc
    proj = np.zeros(n)
    _dls(Jw, jw, lam_sq, free, proj)
    step = np.zeros(n)
    scale = 1.0
    for j in range(n):
        if free[j]:
            s = wish[j] - proj[j]
            step[j] = s
            if s > 0.0:
                scale = min(scale, max(0.0, (hi_k[j] - dq[j]) / s))
            elif s < 0.0:
                scale = min(scale, max(0.0, (lo_k[j] - dq[j]) / s))
    for j in range(n):
        applied[j] = scale * step[j]
        dq[j] += applied[j]


# Layout of the ``params`` vector of solve_kernel.
P_POSTURE_GAIN, P_ROTATION_WEIGHT, P_TOL_P, P_TOL_R, P_MAX_IT, P_LAM0_SQ, P_LAM_E, P_STEP_MAX = (
    range(8)
)
N_PARAMS = 8
LAMBDA_SQ_MIN = 1e-12  # floor of λ² [m²]: the 6x6 system stays positive definite
SEED_PROJECTION_EPS = 1e-10  # regularisation of the seed projection [m²]: only truly singular
# directions (singular value below ~1e-5) are dropped from the seed's offset.
# Return status of solve_kernel.
STATUS_OK, STATUS_BAD_TARGET, STATUS_BAD_SEED = 0, 1, 2


@njit(cache=True)
def _all_finite(a):  # pragma: no cover
    for v in a.flat:
        if not math.isfinite(v):
            return False
    return True


@njit(cache=True)
def solve_kernel(  # pragma: no cover
    placements,
    axes,
    flange,
    T_target,
    q_seed,
    q_prev,
    dt,
    bounds,
    posture,
    params,
    q_out,
    null_out,
    velocity,
):
    """Damped least squares from ``q_seed`` toward the flange pose ``T_target`` (4, 4).

    The feasible box is bounds[0] (lower) .. bounds[1] (upper) [rad], intersected, when dt > 0,
    with q_prev ± bounds[2] (max joint velocity [rad/s]) · dt; the seed is clamped into it. With
    dt > 0 the seed is first moved by ``velocity`` (7,) [rad/s] · dt (streaming extrapolation),
    its offset from q_prev is reduced to its flange-moving part (row space of the Jacobian at
    q_prev), and the first iteration pulls min(1, posture_gain · dt) of the way to ``posture``
    in the task's null space. ``params`` holds the settings (layout P_*).

    Writes the best configuration found to q_out (7,) and the part of its motion that is the
    posture pull to null_out (7,). With dt > 0, ``velocity`` is overwritten with the task motion
    of this solve per second (zero when the target was missed: no momentum is carried on).
    Returns (status, position error [m], rotation error [rad], iterations). See ``arm_ik`` for
    the formulation.
    """
    n = q_seed.shape[0]
    if not _all_finite(T_target):
        return STATUS_BAD_TARGET, np.inf, np.inf, 0
    if not (
        _all_finite(q_seed) and _all_finite(q_prev) and _all_finite(velocity) and math.isfinite(dt)
    ):
        return STATUS_BAD_SEED, np.inf, np.inf, 0
    rotation_weight = params[P_ROTATION_WEIGHT]
    tol_p = params[P_TOL_P]
    tol_r = params[P_TOL_R]
    max_iterations = int(params[P_MAX_IT])
    lam0_sq = params[P_LAM0_SQ]
    lam_e = params[P_LAM_E]
    step_max = params[P_STEP_MAX]
    lo = bounds[0].copy()
    hi = bounds[1].copy()
    posture_fraction = 0.0
    if dt > 0.0:
        posture_fraction = min(1.0, params[P_POSTURE_GAIN] * dt)
        for j in range(n):
            reach = bounds[2, j] * dt
            lo[j] = max(lo[j], q_prev[j] - reach)
            hi[j] = min(hi[j], q_prev[j] + reach)
            if lo[j] > hi[j]:  # q_prev outside the range: its nearest point in range
                lo[j] = hi[j] = min(max(q_prev[j], bounds[0, j]), bounds[1, j])
    R_t = T_target[:3, :3]
    p_t = T_target[:3, 3]
    R = np.empty((3, 3))
    p = np.empty(3)
    J = np.empty((6, n))
    q = q_seed.copy()
    if dt > 0.0:
        for j in range(n):
            q[j] += velocity[j] * dt
        # Keep only the part of the seed's offset from q_prev that moves the flange: an
        # extrapolated self-motion would otherwise persist from frame to frame.
        offset = np.empty(n)
        moved = False
        for j in range(n):
            offset[j] = q[j] - q_prev[j]
            moved = moved or offset[j] != 0.0
        if moved:
            fk_jacobian(placements, axes, flange, q_prev, R, p, J)
            jd = np.empty(6)
            for r in range(6):
                w = 1.0 if r < 3 else rotation_weight
                acc = 0.0
                for j in range(n):
                    J[r, j] *= w
                    acc += J[r, j] * offset[j]
                jd[r] = acc
            all_free = np.ones(n, dtype=np.bool_)
            _dls(J, jd, SEED_PROJECTION_EPS, all_free, offset)
            for j in range(n):
                q[j] = q_prev[j] + offset[j]
    for j in range(n):
        q[j] = min(max(q[j], lo[j]), hi[j])
    Rd = np.empty((3, 3))
    e_r = np.empty(3)
    ew = np.empty(6)
    lo_k = np.empty(n)
    hi_k = np.empty(n)
    dq = np.empty(n)
    wish = np.empty(n)
    free = np.empty(n, dtype=np.bool_)
    jw = np.empty(6)
    proj = np.empty(n)
    null_step = np.empty(n)
    null_total = np.zeros(n)
    best_cost = np.inf
    best_pos = np.inf
    best_rot = np.inf
    it = 0
    while True:
        fk_jacobian(placements, axes, flange, q, R, p, J)
        # rotation error in the flange frame: log(Rᵀ R_t)
        for r in range(3):
            for c in range(3):
                Rd[r, c] = R[0, r] * R_t[0, c] + R[1, r] * R_t[1, c] + R[2, r] * R_t[2, c]
        rot_err = log3(Rd, e_r)
        ex = p_t[0] - p[0]
        ey = p_t[1] - p[1]
        ez = p_t[2] - p[2]
        pos_err = math.sqrt(ex * ex + ey * ey + ez * ez)
        cost = pos_err / tol_p + rot_err / tol_r
        reached = pos_err < tol_p and rot_err < tol_r
        if reached or cost < best_cost:  # any iterate within tolerance beats the best miss
            best_cost = 0.0 if reached else cost
            best_pos = pos_err
            best_rot = rot_err
            q_out[:] = q
            null_out[:] = null_total
        # While streaming, iteration 1 always runs: it carries the posture pull.
        if (reached and not (it == 0 and posture_fraction > 0.0)) or it >= max_iterations:
            break
        it += 1
        # weighted error in base-frame coordinates: (e_p, w R e_r); rows 3-5 of J weighted alike
        ew[0] = ex
        ew[1] = ey
        ew[2] = ez
        for r in range(3):
            ew[3 + r] = rotation_weight * (R[r, 0] * e_r[0] + R[r, 1] * e_r[1] + R[r, 2] * e_r[2])
            for j in range(n):
                J[3 + r, j] *= rotation_weight
        e_sq = 0.0
        for r in range(6):
            e_sq += ew[r] * ew[r]
        lam_sq = max(lam0_sq + lam_e * e_sq, LAMBDA_SQ_MIN)
        for j in range(n):
            lo_k[j] = lo[j] - q[j]
            hi_k[j] = hi[j] - q[j]
        for j in range(n):
            null_step[j] = 0.0
        if it == 1 and posture_fraction > 0.0:
            # Task step plus the posture pull projected on the task's null space, if both fit in
            # the box; else the task first (active set) and the pull only where room is left.
            for j in range(n):
                wish[j] = posture_fraction * (posture[j] - q[j])
                free[j] = True
            _dls(J, ew, lam_sq, free, dq)
            for r in range(6):
                acc = 0.0
                for j in range(n):
                    acc += J[r, j] * wish[j]
                jw[r] = acc
            _dls(J, jw, lam_sq, free, proj)
            for j in range(n):
                null_step[j] = wish[j] - proj[j]
                dq[j] += null_step[j]
            if not _inside(dq, lo_k, hi_k):
                _task_step(J, ew, lam_sq, lo_k, hi_k, dq, free)
                _null_space_step(J, dq, wish, free, lam_sq, lo_k, hi_k, null_step)
        else:
            _task_step(J, ew, lam_sq, lo_k, hi_k, dq, free)
        big = 0.0
        for j in range(n):
            big = max(big, abs(dq[j]))
        if not math.isfinite(big):  # cannot happen with λ² > 0; never let it reach q
            break
        scale = step_max / big if big > step_max else 1.0
        for j in range(n):
            q[j] += scale * dq[j]
            null_total[j] += scale * null_step[j]
    if dt > 0.0:
        reached = best_pos < tol_p and best_rot < tol_r
        for j in range(n):
            velocity[j] = (q_out[j] - q_prev[j] - null_out[j]) / dt if reached else 0.0
    return STATUS_OK, best_pos, best_rot, it
