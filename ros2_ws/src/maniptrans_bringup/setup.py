"""Build script: an ament_python package that is also an ordinary pip-installable package."""

import os
import xml.etree.ElementTree as ET
from glob import glob

from setuptools import find_packages, setup

_XML = ET.parse("package.xml").getroot()  # single source of name, version, description
PACKAGE = "maniptrans_bringup"

setup(
    name=PACKAGE,
    version=_XML.findtext("version"),
    packages=find_packages(exclude=["test", "test.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/config", [f for f in glob("config/*") if not f.endswith(".gitkeep")]),
        (f"share/{PACKAGE}/launch", [f for f in glob("launch/*") if not f.endswith(".gitkeep")]),
        # the shipped tasks: tasks/default/<name>_bih (`make demo`'s) and tasks/trained/<name>_bih
        # (a ManipTrans policy's rollout), each {rollouts.hdf5, seq_info.json, objects/}
        *[
            (f"share/{PACKAGE}/{d}", [os.path.join(d, f) for f in sorted(files)])
            for d, _dirs, files in sorted(os.walk("tasks"))
            if files
        ],
    ],
    install_requires=["setuptools"],
    zip_safe=True,
    description=_XML.findtext("description"),
    license="Apache-2.0",
    python_requires=">=3.10",
    entry_points={
        "console_scripts": [
            # CONSOLE_SCRIPTS: one line per executable, "name = maniptrans_bringup.module:main"
            "bag_recorder = maniptrans_bringup.bag_recorder_node:main",
            "maniptrans-replay = maniptrans_bringup.runner:main",
            "maniptrans-export-bag = maniptrans_bringup.export_bag:main",
            "maniptrans-report = maniptrans_bringup.report_cli:main",
        ],
    },
)
