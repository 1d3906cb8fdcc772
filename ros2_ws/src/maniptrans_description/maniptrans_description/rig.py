"""The bimanual rig's calibration: arm base poses, hand mounts, the sim world, the table.

``config/rig.yaml`` (or any file of the same layout)::

    arm_variant: rm75_b            # or rm75_6f
    arms:
      left:
        base: {xyz: [0.0, 0.3, 0.0], rpy_deg: [0, 0, 0]}         # T_world_armbase
        hand_mount: {xyz: [0, 0, 0], rpy_deg: [-90, 0, 90]}     # T_flange_hand
      right: {...}
    sim_world: {xyz: [0.4, 0.0, 0.0], rpy_deg: [0, 0, 0]}       # T_world_sim
    table: {size: [1.0, 1.4, 0.75], top_center: [0.25, 0.0, 0.0]}

Poses take ``rpy`` [rad] or ``rpy_deg`` [deg]; lengths in [m]. ``T_a_b`` is frame b in frame a.
``world`` is the table-top frame, z up. ``hand_base`` is the Inspire hand's base frame (the
wrist mounting face). ``sim`` is the world frame of the sim trajectories (ManipTrans,
DexManipNet).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config_io import child, load_mapping, pose, vector
from .errors import DescriptionError
from .rm75 import Variant, check_variant
from .sides import SIDES, Side


@dataclass(frozen=True)
class TableGeometry:
    """The table as a box: full edge lengths and the centre of its top face, world frame."""

    size: tuple[float, float, float]  # [m]
    top_center: tuple[float, float, float]  # [m]


@dataclass(frozen=True)
class RigCalibration:
    """Calibrated geometry of the bimanual rig (4x4 read-only arrays, SI units)."""

    arm_variant: Variant
    T_world_armbase: Mapping[Side, np.ndarray]  # arm base in world, per side
    T_flange_hand: Mapping[Side, np.ndarray]  # hand base in the arm's flange frame, per side
    T_world_sim: np.ndarray  # sim-trajectory world frame in world
    table: TableGeometry
    source: Path | None = field(default=None, compare=False)  # the YAML file it came from

    @classmethod
    def load(cls, path: str | Path | None = None) -> RigCalibration:
        """Read a rig YAML (None: the package's ``config/rig.yaml``)."""
        if path is None:
            from .paths import config_path

            path = config_path("rig.yaml")
        path = Path(path)
        doc = load_mapping(path)
        where = str(path)
        unknown = set(doc) - {"arm_variant", "arms", "sim_world", "table"}
        if unknown:
            raise DescriptionError(
                f"{where}: unknown keys {sorted(unknown)}; expected arm_variant, arms, "
                "sim_world, table"
            )
        try:
            variant = check_variant(child(doc, "arm_variant", where))
        except DescriptionError as exc:
            raise DescriptionError(f"{where}: arm_variant: {exc}") from exc
        arms = child(doc, "arms", where)
        bases: dict[Side, np.ndarray] = {}
        mounts: dict[Side, np.ndarray] = {}
        for side in SIDES:
            arm = child(arms, side, f"{where}: arms")
            bases[side] = _frozen(
                pose(child(arm, "base", f"{where}: arms.{side}"), f"{where}: arms.{side}.base")
            )
            mounts[side] = _frozen(
                pose(
                    child(arm, "hand_mount", f"{where}: arms.{side}"),
                    f"{where}: arms.{side}.hand_mount",
                )
            )
        table = child(doc, "table", where)
        size = vector(child(table, "size", f"{where}: table"), 3, f"{where}: table.size")
        if np.any(size <= 0):
            raise DescriptionError(
                f"{where}: table.size must be positive lengths [m], found {size}"
            )
        top = vector(
            child(table, "top_center", f"{where}: table"), 3, f"{where}: table.top_center"
        )
        return cls(
            arm_variant=variant,
            T_world_armbase=bases,
            T_flange_hand=mounts,
            T_world_sim=_frozen(pose(child(doc, "sim_world", where), f"{where}: sim_world")),
            table=TableGeometry(_tuple3(size), _tuple3(top)),
            source=path,
        )


def _frozen(T: np.ndarray) -> np.ndarray:
    out = np.array(T, dtype=float)
    out.flags.writeable = False
    return out


def _tuple3(v: np.ndarray) -> tuple[float, float, float]:
    return float(v[0]), float(v[1]), float(v[2])
