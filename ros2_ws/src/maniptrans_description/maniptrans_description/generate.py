"""``make models``: write every URDF and MJCF from the parameter tables (and render the picture).

    python -m maniptrans_description.generate [--check] [--no-render]

Files go into the source tree: ``urdf/<name>.urdf``, ``mjcf/<name>.xml`` for each name in
``paths.MODEL_NAMES``, and the picture ``doc/rig.png`` (MuJoCo offscreen rendering). The model
files are deterministic (fixed number formatting), so ``--check`` (and the test suite) can tell
whether the committed ones are stale; the picture depends on the OpenGL backend and is not
checked.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .builders import build
from .errors import DescriptionError
from .mjcf import mjcf_text
from .paths import MODEL_NAMES, source_dir
from .render import render_rig, write_png
from .rig import RigCalibration
from .urdf import to_urdf

PICTURE = "doc/rig.png"


def generated_files() -> dict[str, str]:
    """Relative path (in the package source) -> text, for every generated model file."""
    rig = RigCalibration.load()
    files: dict[str, str] = {}
    for name in MODEL_NAMES:
        files[f"urdf/{name}.urdf"] = to_urdf(build(name, rig))
    for name in MODEL_NAMES:
        files[f"mjcf/{name}.xml"] = mjcf_text(name, rig)
    return files


def stale_files(root: Path) -> list[str]:
    """Generated files under ``root`` that are missing or differ from a fresh generation."""
    stale = []
    for rel, text in generated_files().items():
        path = root / rel
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(rel)
    return stale


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files (exit 1)")
    parser.add_argument("--no-render", action="store_true", help="skip the PNG of the rig")
    args = parser.parse_args(argv)
    root = source_dir()
    if root is None:
        raise DescriptionError(
            "generate writes into the package source tree; run it from a checkout"
        )
    if args.check:
        stale = stale_files(root)
        for rel in stale:
            print(f"stale: {rel}")
        return 1 if stale else 0
    files = generated_files()
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if not args.no_render:
        write_png(root / PICTURE, render_rig(files["mjcf/bimanual_rig.xml"]))
        print(f"rendered {root / PICTURE}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except DescriptionError as exc:
        print(f"generate: {exc}", file=sys.stderr)
        sys.exit(2)
