"""Basis point set (BPS) codes of object shapes, computed with trimesh.

A fixed set of ``n`` basis points (seeded, uniform in a ball of ``radius`` around the object
origin) is shared by every object; an object's code is the distance from each basis point to
the nearest point of its surface (sampled densely), object frame, in [m].
"""

from __future__ import annotations

import numpy as np
import trimesh
from scipy.spatial import cKDTree


def basis_points(n: int = 128, radius: float = 0.15, seed: int = 0) -> np.ndarray:
    """(n, 3) points uniform in a ball of ``radius`` [m] (the same for every call with a seed)."""
    rng = np.random.default_rng(seed)
    d = rng.normal(size=(n, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    r = radius * rng.uniform(0.0, 1.0, n) ** (1.0 / 3.0)
    return d * r[:, None]


def surface_samples(mesh: trimesh.Trimesh, count: int = 2048, seed: int = 0) -> np.ndarray:
    """(count, 3) points on the mesh surface, area-weighted, plus every vertex [m]."""
    pts, _ = trimesh.sample.sample_surface(mesh, count, seed=seed)
    return np.vstack([np.asarray(pts, float), np.asarray(mesh.vertices, float)])


def bps_code(mesh: trimesh.Trimesh, basis: np.ndarray | None = None) -> np.ndarray:
    """(n,) distance [m] from each basis point to the object's surface."""
    basis = basis_points() if basis is None else basis
    tree = cKDTree(surface_samples(mesh))
    d, _ = tree.query(basis)
    return d
