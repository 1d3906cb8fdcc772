"""Where the generated models and the configuration live, from the source tree or an install.

Model names: ``MODEL_NAMES``; URDFs are ``urdf/<name>.urdf``, MJCFs ``mjcf/<name>.xml``;
configuration files ``config/<name>`` (``CONFIG_NAMES``). In a source checkout (or a colcon
``--symlink-install``) these resolve to the source tree, so ``make models`` output is read at once;
otherwise to the package's share directory from the ament index.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import DescriptionError

PACKAGE = "maniptrans_description"
MODEL_NAMES = (
    "rm75_b",
    "rm75_6f",
    "inspire_hand_left_sim",
    "inspire_hand_right_sim",
    "inspire_hand_left",
    "inspire_hand_right",
    "bimanual_rig",
)
CONFIG_NAMES = ("rig.yaml", "hand_calibration.yaml")


def source_dir() -> Path | None:
    """The package's source directory (holding package.xml, urdf/, mjcf/), if this is one."""
    candidate = Path(__file__).resolve().parent.parent
    manifest = candidate / "package.xml"
    if manifest.is_file() and f"<name>{PACKAGE}</name>" in manifest.read_text(encoding="utf-8"):
        return candidate
    return None


def share_dir() -> Path:
    """The directory holding urdf/, mjcf/ and config/: the source tree, else the install share."""
    src = source_dir()
    if src is not None:
        return src
    try:
        from ament_index_python.packages import get_package_share_directory

        return Path(get_package_share_directory(PACKAGE))
    except (ImportError, LookupError, ValueError) as exc:
        prefixes = os.environ.get("AMENT_PREFIX_PATH", "")
        raise DescriptionError(
            f"cannot find the {PACKAGE} share directory: not a source checkout and the ament "
            f"index lookup failed ({exc}); AMENT_PREFIX_PATH={prefixes!r}"
        ) from exc


def check_model_name(name: str) -> str:
    """``name`` unchanged if it is a known model, else a DescriptionError listing them."""
    if name not in MODEL_NAMES:
        raise DescriptionError(f"unknown model {name!r}; expected one of {list(MODEL_NAMES)}")
    return name


def urdf_path(name: str) -> Path:
    """Path of the generated URDF of model ``name``."""
    return share_dir() / "urdf" / f"{check_model_name(name)}.urdf"


def mjcf_path(name: str) -> Path:
    """Path of the generated MJCF of model ``name``."""
    return share_dir() / "mjcf" / f"{check_model_name(name)}.xml"


def config_path(name: str) -> Path:
    """Path of configuration file ``name`` (``rig.yaml`` or ``hand_calibration.yaml``)."""
    if name not in CONFIG_NAMES:
        raise DescriptionError(
            f"unknown config file {name!r}; expected one of {list(CONFIG_NAMES)}"
        )
    return share_dir() / "config" / name
