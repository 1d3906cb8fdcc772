"""The transferred task's object(s) for the twin, at their first pose in the rig's world.

The task's object poses are in the sim trajectory's world frame; the rig calibration's
``T_world_sim`` places that frame on the table. Objects are named as the trajectory player names
them (the ``seq_info`` object id), so the twin's pose topic pairs with the player's. A mesh
named by ``seq_info`` (``obj_rh_path`` / ``obj_lh_path``) that exists is used as is (MuJoCo
collides with its convex hull); otherwise a box of ``half_extent`` stands in for it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from maniptrans_sim.mock.twin import ObjectSpec


def task_objects(
    task_path: str | Path, half_extent: float = 0.03, calibration: str | None = None
) -> tuple[ObjectSpec, ...]:
    """One `ObjectSpec` per distinct object of the task (see the module docstring)."""
    from maniptrans_description.rig import RigCalibration
    from maniptrans_sim.player_source import object_name
    from maniptrans_sim.task_file import SUFFIX, load_task

    task = load_task(task_path)
    T_world_sim = np.asarray(RigCalibration.load(calibration).T_world_sim)
    out: list[ObjectSpec] = []
    seen: set[tuple[float, ...]] = set()
    names: set[str] = set()
    for side, track in sorted(task.hands.items()):
        p_sim = np.asarray(track.state_manip_obj[0, :3], float)
        q_sim = np.asarray(track.state_manip_obj[0, 3:7], float)
        key = tuple(np.round(p_sim, 4))
        # the player's name for it, so /mock/objects/<name>/pose pairs with /sim/objects/<name>
        name = object_name(getattr(task.info, "oid_rh" if side == "right" else "oid_lh"), side)
        if key in seen or name in names:  # both hands manipulate the same object
            continue
        seen.add(key)
        names.add(name)
        p = T_world_sim[:3, :3] @ p_sim + T_world_sim[:3, 3]
        rot = Rotation.from_matrix(T_world_sim[:3, :3]) * Rotation.from_quat(q_sim)
        mesh = _mesh_file(task_path, getattr(task.info, f"obj_{SUFFIX[side]}_path", None))
        if mesh is not None:
            spec = ObjectSpec(
                name, "mesh", pos=tuple(p), quat_xyzw=tuple(rot.as_quat()), mesh=str(mesh)
            )
        else:
            spec = ObjectSpec(
                name, "box", (half_extent,) * 3, pos=tuple(p), quat_xyzw=tuple(rot.as_quat())
            )
        out.append(spec)
    return tuple(out)


def _mesh_file(task_path: str | Path, mesh: object) -> Path | None:
    """The object mesh ``seq_info`` names: absolute, or relative to the sequence folder (the
    layout our exports write); None when there is no such file."""
    if not mesh:
        return None
    path = Path(str(mesh))
    if not path.is_absolute():
        seq = Path(task_path)
        path = (seq if seq.is_dir() else seq.parent) / path
    return path if path.is_file() else None
