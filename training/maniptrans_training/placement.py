"""Place a scripted task where the real arms can reach it (used for the default task).

The arms reach comfortably around a point ``ahead`` [m] in front of the midpoint of the two arm
bases, ``above`` [m] over the table top. The rig calibration (``maniptrans_description.rig``)
says where the sim world sits on the rig (``T_world_sim``); the task's table-top centre is moved
(in x and y of the sim frame, the table stays at its height) so that the mean wrist position
lands on that point.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from maniptrans_description.rig import RigCalibration
from maniptrans_training.demo import Demo
from maniptrans_training.synthetic import SceneParams, make_demo


@dataclass(frozen=True)
class Placement:
    """Result: the demo, the reach point in the sim frame [m] and the farthest wrist from it."""

    demo: Demo
    reach_point_sim: np.ndarray
    max_wrist_distance: float  # [m]


def reach_point_sim(rig: RigCalibration, ahead: float = 0.45, above: float = 0.2) -> np.ndarray:
    """(3,) the comfortable reach point expressed in the sim frame [m]."""
    bases = np.stack([rig.T_world_armbase[s][:3, 3] for s in ("left", "right")])
    mid = bases.mean(axis=0)
    table_z = rig.table.top_center[2]
    p_world = np.array([mid[0] + ahead, mid[1], table_z + above, 1.0])
    return (np.linalg.inv(rig.T_world_sim) @ p_world)[:3]


def place_task(
    task: str,
    seed: int = 0,
    rig: RigCalibration | None = None,
    ahead: float = 0.45,
    above: float = 0.2,
) -> Placement:
    """The scripted ``task`` moved so its mean wrist position is the rig's reach point."""
    rig = rig or RigCalibration.load(None)
    target = reach_point_sim(rig, ahead, above)
    table_sim = (np.linalg.inv(rig.T_world_sim) @ np.array([*rig.table.top_center, 1.0]))[:3]
    probe = make_demo(task, seed, SceneParams(center=(0.0, 0.0, table_sim[2])))
    wrists = np.concatenate([h.wrist_pos for h in probe.hands.values()])
    shift = target[:2] - wrists.mean(axis=0)[:2]
    center = (float(shift[0]), float(shift[1]), float(table_sim[2]))
    demo = make_demo(task, seed, replace(SceneParams(), center=center))
    wrists = np.concatenate([h.wrist_pos for h in demo.hands.values()])
    dist = float(np.max(np.linalg.norm(wrists - target, axis=1)))
    return Placement(demo, target, dist)
