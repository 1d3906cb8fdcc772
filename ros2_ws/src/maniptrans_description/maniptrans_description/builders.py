"""Every named model as a kinematic tree (``model.Robot``), built from the parameter tables.

``build(name)`` is what the URDF and MJCF writers turn into files. Names: ``paths.MODEL_NAMES``.

The rig (``bimanual_rig``): root ``world`` (table-top frame); ``table`` (a box);
``sim_world`` (the sim trajectories' frame, ``T_world_sim``); per side an arm with links
``<side>_arm_base``, ``<side>_arm_link_1..7``, joints ``<side>_arm_joint_1..7`` and the frame
``<side>_flange``; on link 7 the real hand (mimic couplings) rooted at ``<P>_hand_base_link``
(``T_flange_hand``), with the frame ``<side>_hand_base`` on it (identity) and the facts' joint
names (``L_``/``R_`` prefix, so they equal the sim hand's).
"""

from __future__ import annotations

import numpy as np

from .errors import DescriptionError
from .inspire import DEFAULT_COUPLING, MimicCoupling, hand_robot
from .model import Joint, Link, Robot, Shape, attach, vec3
from .paths import check_model_name
from .rig import RigCalibration
from .rm75 import arm_robot
from .sides import SIDES

TABLE_RGBA = (0.55, 0.42, 0.3, 1.0)


def build(
    name: str, rig: RigCalibration | None = None, coupling: MimicCoupling = DEFAULT_COUPLING
) -> Robot:
    """The model called ``name`` (``rig``: None = the package's config/rig.yaml)."""
    check_model_name(name)
    if name in ("rm75_b", "rm75_6f"):
        return arm_robot(name)  # type: ignore[arg-type]
    if name.startswith("inspire_hand_"):
        side = name.split("_")[2]
        return hand_robot(side, None if name.endswith("_sim") else coupling)  # type: ignore[arg-type]
    if name == "bimanual_rig":
        return rig_robot(RigCalibration.load() if rig is None else rig, coupling)
    raise DescriptionError(f"no builder for model {name!r}")  # pragma: no cover


def rig_robot(rig: RigCalibration, coupling: MimicCoupling = DEFAULT_COUPLING) -> Robot:
    """Two arms on a table with a real hand on each flange, posed by ``rig``."""
    size, top = np.array(rig.table.size), np.array(rig.table.top_center)
    centre = vec3(top - [0.0, 0.0, size[2] / 2.0])
    table = Link("table", None, (Shape("box", rig.table.size, centre, rgba=TABLE_RGBA),))
    robot = Robot(
        "bimanual_rig",
        "world",
        (Link("world"), table, Link("sim_world")),
        (
            Joint("table_joint", "fixed", "world", "table"),
            Joint("sim_world_joint", "fixed", "world", "sim_world").with_origin(rig.T_world_sim),
        ),
    )
    for side in SIDES:
        arm = arm_robot(rig.arm_variant, side)
        robot = attach(robot, "world", arm, f"{side}_arm_mount", rig.T_world_armbase[side])
        # the flange frame is link 7's frame, so the mount goes on link 7 directly
        hand = hand_robot(side, coupling)
        robot = attach(
            robot, f"{side}_arm_link_7", hand, f"{side}_hand_mount", rig.T_flange_hand[side]
        )
    return robot
