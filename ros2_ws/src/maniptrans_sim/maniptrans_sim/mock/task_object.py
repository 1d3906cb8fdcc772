"""The transferred task's object(s) for the twin, at their first pose in the rig's world.

The task's object poses are in the sim trajectory's world frame; the rig calibration's
``T_world_sim`` places that frame on the table. A mesh named by ``seq_info`` (``obj_rh_path`` /
``obj_lh_path``) that exists is used as is (MuJoCo collides with its convex hull); otherwise a box
of ``half_extent`` stands in for it.
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
    from maniptrans_sim.task_file import load_task

    task = load_task(task_path)
    T_world_sim = np.asarray(RigCalibration.load(calibration).T_world_sim)
    out: list[ObjectSpec] = []
    seen: set[tuple[float, ...]] = set()
    for side, track in sorted(task.hands.items()):
        p_sim = np.asarray(track.state_manip_obj[0, :3], float)
        q_sim = np.asarray(track.state_manip_obj[0, 3:7], float)
        key = tuple(np.round(p_sim, 4))
        if key in seen:  # both hands manipulate the same object
            continue
        seen.add(key)
        p = T_world_sim[:3, :3] @ p_sim + T_world_sim[:3, 3]
        rot = Rotation.from_matrix(T_world_sim[:3, :3]) * Rotation.from_quat(q_sim)
        mesh = getattr(task.info, "obj_rh_path" if side == "right" else "obj_lh_path", None)
        name = f"object_{'rh' if side == 'right' else 'lh'}"
        if mesh and Path(str(mesh)).is_file():
            spec = ObjectSpec(
                name, "mesh", pos=tuple(p), quat_xyzw=tuple(rot.as_quat()), mesh=str(mesh)
            )
        else:
            spec = ObjectSpec(
                name, "box", (half_extent,) * 3, pos=tuple(p), quat_xyzw=tuple(rot.as_quat())
            )
        out.append(spec)
    return tuple(out)
