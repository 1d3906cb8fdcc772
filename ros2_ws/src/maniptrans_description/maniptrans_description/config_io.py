"""Reading the package's YAML configuration with errors that name the file and the key."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .errors import DescriptionError
from .transforms import make_transform


def load_mapping(path: Path) -> dict[str, Any]:
    """The top-level mapping of YAML file ``path``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise DescriptionError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DescriptionError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise DescriptionError(f"{path}: expected a mapping at the top level, found {doc!r:.80}")
    return doc


def child(node: Mapping[str, Any], key: str, where: str) -> Any:
    """``node[key]``, or a DescriptionError naming ``where`` and the keys that exist."""
    if not isinstance(node, Mapping):
        raise DescriptionError(f"{where}: expected a mapping, found {node!r:.80}")
    if key not in node:
        raise DescriptionError(f"{where}: missing key {key!r} (found keys {sorted(node)})")
    return node[key]


def finite_float(value: Any, where: str) -> float:
    """``value`` as a finite float, else a DescriptionError naming ``where``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DescriptionError(f"{where}: expected a finite number, found {value!r}")
    return float(value)


def vector(value: Any, n: int, where: str) -> np.ndarray:
    """``value`` as a finite float array of length ``n``."""
    if not isinstance(value, list | tuple) or len(value) != n:
        raise DescriptionError(f"{where}: expected a list of {n} numbers, found {value!r}")
    return np.array([finite_float(v, f"{where}[{i}]") for i, v in enumerate(value)])


def pose(node: Any, where: str) -> np.ndarray:
    """A 4x4 transform from ``{xyz: [m]*3, rpy: [rad]*3}`` or ``{xyz, rpy_deg: [deg]*3}``."""
    if not isinstance(node, Mapping):
        raise DescriptionError(f"{where}: expected a mapping with xyz and rpy, found {node!r:.80}")
    unknown = set(node) - {"xyz", "rpy", "rpy_deg"}
    if unknown:
        raise DescriptionError(
            f"{where}: unknown keys {sorted(unknown)}; expected xyz and rpy or rpy_deg"
        )
    xyz = vector(child(node, "xyz", where), 3, f"{where}.xyz")
    if ("rpy" in node) == ("rpy_deg" in node):
        raise DescriptionError(f"{where}: give exactly one of rpy [rad] or rpy_deg [deg]")
    if "rpy" in node:
        rpy = vector(node["rpy"], 3, f"{where}.rpy")
    else:
        rpy = np.deg2rad(vector(node["rpy_deg"], 3, f"{where}.rpy_deg"))
    return make_transform(xyz, rpy)
