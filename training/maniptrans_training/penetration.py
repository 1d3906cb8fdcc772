"""Does the retargeted robot hand fit around the object? Hand-object penetration of a reference.

A kinematic retarget matches fingertips and keypoints, not volumes: a robot link that is bulkier
than the human bone it stands in for can end up inside the object while the fingertips sit where
they should. A tracker that follows such a reference is stopped by the object before it gets
there, so the reference's "grasp" cannot hold, and every method has to leave the reference to
move the object. This module measures that, per robot link, in the MuJoCo scene the training
uses (its collision geometry, the reference's poses), so a failing transfer can be traced to its
data before any training is spent on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

from maniptrans_description.sides import hand_prefix
from maniptrans_training.errors import TrainingError

SEARCH_DISTANCE = 0.05
"""[m] geoms farther apart than this are not measured (reported as this distance)."""


@dataclass(frozen=True)
class LinkPenetration:
    """The deepest penetration of one robot link into one object over a reference.

    Attributes:
        side: "right" / "left".
        link: robot link name without the side prefix, e.g. ``thumb_proximal``.
        object: the object's name.
        depth: deepest penetration [m] (> 0: inside the object).
        frame: the frame of the deepest penetration.
        frames: how many frames the link is deeper than the tolerance.
    """

    side: str
    link: str
    object: str
    depth: float
    frame: int
    frames: int


def reference_penetration(
    reference,
    frames: np.ndarray | None = None,
    tolerance: float = 0.001,
) -> list[LinkPenetration]:
    """Per (hand link, object) pair that goes deeper than ``tolerance`` [m] into the object at
    any of ``frames`` (default: every frame) of ``reference``, deepest first.

    The hands and objects are posed exactly as the reference says (no physics step); depth is
    MuJoCo's signed geom distance between the link's collision geometry and the object's.
    """
    from maniptrans_training.env import EnvConfig, ManipTransEnv

    if not reference.objects:
        return []
    if not tolerance >= 0.0:
        raise TrainingError(f"reference_penetration: tolerance must be >= 0, got {tolerance}")
    T = reference.num_frames
    frames = np.arange(T) if frames is None else np.asarray(frames, int)
    if frames.size and (frames.min() < 0 or frames.max() >= T):
        raise TrainingError(f"reference_penetration: frames must lie in 0..{T - 1}")
    env = ManipTransEnv(reference, EnvConfig(stage="residual", num_envs=1, rsi=False))
    m, d = env.models[0], env.datas[0]
    pairs = []  # (side, link, object index, hand geom, object geom)
    prefixes = {s: f"{hand_prefix(s)}_" for s in env.sides}
    for g in env.index.hand_geoms:
        if m.geom_contype[g] == 0 and m.geom_conaffinity[g] == 0:
            continue  # visual only (the tip markers)
        body = m.body(m.geom_bodyid[g]).name
        side = next((s for s, p in prefixes.items() if body.startswith(p)), None)
        if side is None:
            raise TrainingError(f"reference_penetration: hand geom on body {body!r} has no side")
        for k, o in enumerate(env.index.objects):
            pairs.append((side, body[len(prefixes[side]) :], k, int(g), int(o.geom)))
    depth = np.zeros((frames.size, len(pairs)))
    scratch = np.zeros(6)
    for n, f in enumerate(frames):
        env.pose_at_frame(0, int(f))
        for j, (_, _, _, g, o) in enumerate(pairs):
            depth[n, j] = -mujoco.mj_geomDistance(m, d, g, o, SEARCH_DISTANCE, scratch)
    # a link may carry several geoms: keep its deepest one per frame
    links: dict[tuple[str, str, int], np.ndarray] = {}
    for j, (side, link, k, _, _) in enumerate(pairs):
        key = (side, link, k)
        links[key] = depth[:, j] if key not in links else np.maximum(links[key], depth[:, j])
    out = []
    for (side, link, k), dep in links.items():
        if dep.size and dep.max() > tolerance:
            i = int(np.argmax(dep))
            out.append(
                LinkPenetration(
                    side,
                    link,
                    reference.objects[k].name,
                    float(dep[i]),
                    int(frames[i]),
                    int(np.sum(dep > tolerance)),
                )
            )
    return sorted(out, key=lambda p: -p.depth)


def format_penetration(rows: list[LinkPenetration], tolerance: float) -> str:
    """A table of :func:`reference_penetration`'s rows (mm), or a one-line all-clear."""
    if not rows:
        return f"no robot link goes deeper than {1000 * tolerance:.1f} mm into an object"
    head = (
        f"{'hand':<6} {'link':<22} {'object':<10} {'deepest mm':>10} {'at frame':>9} {'frames':>7}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.side:<6} {r.link:<22} {r.object:<10} {1000 * r.depth:10.1f} "
            f"{r.frame:9d} {r.frames:7d}"
        )
    return "\n".join(lines)
