"""The robot description text the ``description_publisher`` node publishes (pure, no rclpy)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from .builders import build
from .errors import DescriptionError
from .paths import check_model_name, urdf_path
from .rig import RigCalibration
from .urdf import to_urdf


def robot_description(model: str = "bimanual_rig", rig_yaml: str | Path | None = None) -> str:
    """URDF text of ``model``: the generated file, or with ``rig_yaml`` the rig built from that
    calibration file (a robot PC's own ``rig.yaml``; only for ``bimanual_rig``)."""
    check_model_name(model)
    if rig_yaml:
        if model != "bimanual_rig":
            raise DescriptionError(
                f"rig_yaml applies only to model 'bimanual_rig', not to {model!r}"
            )
        return to_urdf(build(model, RigCalibration.load(rig_yaml)))
    path = urdf_path(model)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DescriptionError(f"cannot read {path} ({exc.strerror}); run `make models`") from exc
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise DescriptionError(f"{path} is not valid XML: {exc}") from exc
    if root.tag != "robot":
        raise DescriptionError(f"{path}: expected a <robot> root element, found <{root.tag}>")
    return text
