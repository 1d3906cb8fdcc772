"""The rig picture: PNG writer and MuJoCo offscreen rendering."""

from __future__ import annotations

import numpy as np
import pytest

from maniptrans_description.errors import DescriptionError
from maniptrans_description.generate import PICTURE
from maniptrans_description.paths import source_dir
from maniptrans_description.render import png_bytes, write_png

image = pytest.importorskip("matplotlib.image")


def test_png_writer_round_trips_through_an_independent_decoder(tmp_path):
    rgb = np.random.default_rng(8).integers(0, 256, size=(17, 23, 3), dtype=np.uint8)
    write_png(tmp_path / "x.png", rgb)
    decoded = image.imread(tmp_path / "x.png")  # float in [0, 1]
    np.testing.assert_array_equal(np.rint(decoded * 255).astype(np.uint8), rgb)


def test_png_writer_refuses_non_rgb_arrays():
    with pytest.raises(DescriptionError, match=r"\(H, W, 3\)"):
        png_bytes(np.zeros((4, 4)))


def test_committed_picture_is_a_1280_by_800_png():
    root = source_dir()
    assert root is not None
    picture = image.imread(root / PICTURE)
    assert picture.shape[:2] == (800, 1280)


def test_rendering_the_rig_shows_the_table_and_the_robots():
    from maniptrans_description.mjcf import mjcf_text
    from maniptrans_description.render import render_rig

    try:
        rgb = render_rig(mjcf_text("bimanual_rig"), width=320, height=200)
    except DescriptionError as exc:
        pytest.skip(f"no offscreen OpenGL here: {exc}")
    assert rgb.shape == (200, 320, 3)
    # the table colour (brownish: red > green > blue) covers a good part of the frame, and the
    # picture is not flat
    r, g, b = (rgb[..., k].astype(int) for k in range(3))
    table = (r > g + 15) & (g > b + 15)
    assert 0.05 < table.mean() < 0.8
    assert rgb.std() > 20
