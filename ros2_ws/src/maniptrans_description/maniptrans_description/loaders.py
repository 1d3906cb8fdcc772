"""Load the generated models into Pinocchio and MuJoCo.

Pinocchio orders joints depth-first with siblings sorted by name (urdfdom), so never assume the
facts' order: use ``pinocchio_q`` / ``pinocchio_q_indices`` to go from joint names to ``q``.
Every joint here is revolute (nq = nv = 1 per joint).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

import numpy as np

from .errors import DescriptionError
from .paths import mjcf_path, urdf_path

if TYPE_CHECKING:
    import mujoco
    import pinocchio as pin


@overload
def load_pinocchio(
    name: str, *, with_collision: Literal[False] = False, mimic: bool = False
) -> pin.Model: ...


@overload
def load_pinocchio(
    name: str, *, with_collision: Literal[True], mimic: bool = False
) -> tuple[pin.Model, pin.GeometryModel]: ...


def load_pinocchio(
    name: str, *, with_collision: bool = False, mimic: bool = False
) -> pin.Model | tuple[pin.Model, pin.GeometryModel]:
    """The URDF model ``name`` as a fixed-base Pinocchio model (and its collision model).

    Args:
        name: a model name (``paths.MODEL_NAMES``).
        with_collision: also return the collision ``GeometryModel`` (boxes).
        mimic: build URDF mimic joints as Pinocchio mimic joints (q holds only the driven
            joints). Default False: every revolute joint is its own coordinate; fill mimics with
            ``inspire.actuators_to_sim_joints``.
    """
    import pinocchio as pin

    path = _existing(urdf_path(name))
    model = pin.buildModelFromUrdf(str(path), mimic=mimic)
    if not with_collision:
        return model
    geometry = pin.buildGeomFromUrdf(model, str(path), pin.GeometryType.COLLISION)
    return model, geometry


def load_mujoco(name: str) -> mujoco.MjModel:
    """The MJCF model ``name`` compiled by MuJoCo."""
    import mujoco

    path = _existing(mjcf_path(name))
    try:
        return mujoco.MjModel.from_xml_path(str(path))
    except ValueError as exc:
        raise DescriptionError(f"MuJoCo cannot load {path}: {exc}") from exc


def pinocchio_q_indices(model: pin.Model, joint_names: list[str]) -> np.ndarray:
    """Index into ``q`` of each named 1-DoF joint (raises listing the model's joints)."""
    out = []
    for name in joint_names:
        if not model.existJointName(name):
            raise DescriptionError(
                f"Pinocchio model {model.name!r} has no joint {name!r}; "
                f"joints: {list(model.names)[1:]}"
            )
        joint = model.joints[model.getJointId(name)]
        if joint.nq != 1:
            raise DescriptionError(f"joint {name!r} has nq = {joint.nq}, expected 1")
        out.append(joint.idx_q)
    return np.array(out, dtype=int)


def pinocchio_q(model: pin.Model, values: Mapping[str, float]) -> np.ndarray:
    """A ``q`` vector (nq,) with the named joints set [rad] and every other joint at 0."""
    q = np.zeros(model.nq)
    names = list(values)
    q[pinocchio_q_indices(model, names)] = [float(values[n]) for n in names]
    return q


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise DescriptionError(f"model file {path} does not exist; run `make models`")
    return path


def mujoco_qpos_indices(model: mujoco.MjModel, joint_names: list[str]) -> np.ndarray:
    """Index into ``qpos`` of each named hinge joint (raises listing the model's joints)."""
    import mujoco

    out = []
    for name in joint_names:
        jid = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, name)
        if jid < 0:
            known = [model.joint(i).name for i in range(model.njnt)]
            raise DescriptionError(f"MuJoCo model has no joint {name!r}; joints: {known}")
        out.append(int(model.jnt_qposadr[jid]))
    return np.array(out, dtype=int)


def mujoco_actuator_indices(model: mujoco.MjModel, actuator_names: list[str]) -> np.ndarray:
    """Index into ``ctrl`` of each named actuator (raises listing the model's actuators)."""
    import mujoco

    out = []
    for name in actuator_names:
        aid = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_ACTUATOR, name)
        if aid < 0:
            known = [model.actuator(i).name for i in range(model.nu)]
            raise DescriptionError(f"MuJoCo model has no actuator {name!r}; actuators: {known}")
        out.append(aid)
    return np.array(out, dtype=int)
