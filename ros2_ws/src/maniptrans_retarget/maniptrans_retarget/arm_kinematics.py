"""RM75 kinematics on Pinocchio: the model, the flange frame and the joint limits, for one arm.

Both arms share one kinematic model (the RM75 is not mirrored); a side only changes the joint names
and where the arm base sits on the table (see ``arm_targets``). The model comes from the
description package's URDF (``load_pinocchio("rm75_b")``). Pure module: no rclpy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pinocchio as pin

from maniptrans_retarget.arm_errors import ArmIkError

N_ARM_JOINTS = 7
_AXIS_OF = {
    "JointModelRX": (1.0, 0.0, 0.0),
    "JointModelRY": (0.0, 1.0, 0.0),
    "JointModelRZ": (0.0, 0.0, 1.0),
}


class ArmKinematics:
    """A 7-joint serial arm as a Pinocchio model with a flange frame and joint limits.

    Attributes:
        model: the Pinocchio model (``nq == nv == 7``, revolute joints only).
        data: a Data of ``model`` owned by this object (not thread-safe: one object per thread).
        flange_id: frame id of the flange in ``model``.
        lower, upper: position limits [rad], shape (7,).
        velocity: velocity limits [rad/s], shape (7,).
        joint_names: the 7 joint names in configuration order.
    """

    def __init__(
        self,
        model: pin.Model,
        flange_frame: str,
        *,
        lower: Sequence[float] | np.ndarray | None = None,
        upper: Sequence[float] | np.ndarray | None = None,
        velocity: Sequence[float] | np.ndarray | None = None,
        joint_names: Sequence[str] | None = None,
    ) -> None:
        if model.nq != N_ARM_JOINTS or model.nv != N_ARM_JOINTS:
            raise ArmIkError(
                f"arm model {model.name!r}: expected nq = nv = {N_ARM_JOINTS} (one revolute joint "
                f"per axis), found nq = {model.nq}, nv = {model.nv}; build a reduced model of the "
                "arm alone (pinocchio.buildReducedModel) first"
            )
        if not model.existFrame(flange_frame):
            names = [f.name for f in model.frames]
            raise ArmIkError(
                f"arm model {model.name!r}: no frame {flange_frame!r}; frames are {names}"
            )
        self.model = model
        self.data = model.createData()
        self.flange_id = model.getFrameId(flange_frame)
        self.flange_frame = flange_frame
        self.lower = _limit(lower, model.lowerPositionLimit, "lower")
        self.upper = _limit(upper, model.upperPositionLimit, "upper")
        self.velocity = _limit(velocity, model.velocityLimit, "velocity")
        if not np.all(self.lower < self.upper):
            raise ArmIkError(
                f"joint limits: expected lower < upper for every joint, found lower = "
                f"{self.lower.tolist()}, upper = {self.upper.tolist()}"
            )
        if not np.all(self.velocity > 0):
            raise ArmIkError(
                f"velocity limits: expected > 0 rad/s, found {self.velocity.tolist()}"
            )
        names = list(joint_names) if joint_names is not None else list(model.names[1:])
        if len(names) != N_ARM_JOINTS:
            raise ArmIkError(f"expected {N_ARM_JOINTS} joint names, found {names}")
        self.joint_names = tuple(names)

    @classmethod
    def from_description(cls, variant: str = "rm75_b", side: str | None = None) -> ArmKinematics:
        """The RM75 ``variant`` ("rm75_b" or "rm75_6f") from the description package's URDF.

        Args:
            variant: arm model name (``RigCalibration.arm_variant``).
            side: "left"/"right" names the joints ``<side>_arm_joint_1..7``; None keeps the
                standalone names ``arm_joint_1..7``.
        """
        from maniptrans_description import rm75
        from maniptrans_description.errors import DescriptionError
        from maniptrans_description.loaders import load_pinocchio

        try:
            rm75.check_variant(variant)
            names = rm75.joint_names(side)  # type: ignore[arg-type]
            model = load_pinocchio(variant)
        except DescriptionError as exc:
            raise ArmIkError(f"arm model {variant!r} (side {side!r}): {exc}") from exc
        limits = rm75.joint_limits(variant)  # type: ignore[arg-type]
        return cls(
            model,
            "flange",
            lower=limits.lower,
            upper=limits.upper,
            velocity=limits.velocity,
            joint_names=names,
        )

    def chain(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The serial chain as arrays for the compiled IK kernel.

        Returns:
            placements (7, 4, 4): parent joint frame -> joint frame at q = 0 [m];
            axes (7, 3): unit rotation axis of each joint in its own frame;
            flange (4, 4): joint-7 frame -> flange frame [m].
        """
        model = self.model
        placements = np.empty((N_ARM_JOINTS, 4, 4))
        axes = np.empty((N_ARM_JOINTS, 3))
        for i in range(1, N_ARM_JOINTS + 1):
            if model.parents[i] != i - 1:
                raise ArmIkError(
                    f"arm model {model.name!r}: expected a serial chain, joint {model.names[i]!r} "
                    f"hangs from joint index {model.parents[i]}, not {i - 1}"
                )
            joint = model.joints[i]
            kind = joint.shortname()
            if kind in _AXIS_OF:
                axis = np.array(_AXIS_OF[kind])
            elif kind == "JointModelRevoluteUnaligned":
                axis = np.array(joint.extract().axis, dtype=float)
                axis /= np.linalg.norm(axis)
            else:
                raise ArmIkError(
                    f"arm model {model.name!r}: joint {model.names[i]!r} is a {kind}; expected a "
                    f"revolute joint ({sorted(_AXIS_OF)} or JointModelRevoluteUnaligned)"
                )
            placements[i - 1] = model.jointPlacements[i].homogeneous
            axes[i - 1] = axis
        frame = model.frames[self.flange_id]
        if frame.parentJoint != N_ARM_JOINTS:
            raise ArmIkError(
                f"flange frame {self.flange_frame!r}: expected on the last joint "
                f"({model.names[N_ARM_JOINTS]!r}), found on {model.names[frame.parentJoint]!r}"
            )
        return placements, axes, frame.placement.homogeneous.copy()

    def flange_pose(self, q: np.ndarray) -> np.ndarray:
        """Flange pose in the arm base frame as a 4x4 homogeneous matrix [m] for ``q`` [rad]."""
        pin.framesForwardKinematics(self.model, self.data, np.asarray(q, dtype=float))
        return self.data.oMf[self.flange_id].homogeneous.copy()

    def random_configuration(self, rng: np.random.Generator, margin: float = 0.0) -> np.ndarray:
        """A configuration drawn uniformly inside the limits shrunk by ``margin`` [rad]."""
        return rng.uniform(self.lower + margin, self.upper - margin)


def _limit(value, default: np.ndarray, what: str) -> np.ndarray:
    arr = np.array(default if value is None else value, dtype=float).reshape(-1)
    if arr.shape != (N_ARM_JOINTS,) or not np.all(np.isfinite(arr)):
        raise ArmIkError(
            f"{what} joint limits: expected {N_ARM_JOINTS} finite values, found {arr.tolist()}"
        )
    return arr
