"""Model and config paths, from the source tree and from the colcon install."""

from __future__ import annotations

import pytest

from maniptrans_description import paths
from maniptrans_description.errors import DescriptionError


def test_model_paths_use_the_format_directories_and_extensions():
    assert paths.urdf_path("rm75_b").parts[-2:] == ("urdf", "rm75_b.urdf")
    assert paths.mjcf_path("bimanual_rig").parts[-2:] == ("mjcf", "bimanual_rig.xml")


def test_config_files_exist_where_config_path_points():
    for name in paths.CONFIG_NAMES:
        assert paths.config_path(name).is_file()


def test_unknown_names_are_refused_with_the_valid_ones():
    with pytest.raises(DescriptionError, match=r"'rm65'.*bimanual_rig"):
        paths.urdf_path("rm65")
    with pytest.raises(DescriptionError, match=r"rig.yaml"):
        paths.config_path("robot.yaml")


def test_in_a_checkout_the_share_dir_is_the_source_tree():
    share = paths.share_dir()
    assert share == paths.source_dir()
    assert (share / "package.xml").is_file()


def test_the_colcon_install_share_holds_the_config_files():
    ament = pytest.importorskip("ament_index_python.packages")
    try:
        share = ament.get_package_share_directory(paths.PACKAGE)
    except ament.PackageNotFoundError:
        pytest.skip("maniptrans_description is not built into this workspace")
    from pathlib import Path

    for name in paths.CONFIG_NAMES:
        assert (Path(share) / "config" / name).is_file(), "run `make build`"
