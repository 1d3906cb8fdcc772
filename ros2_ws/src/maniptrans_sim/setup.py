"""Build script: an ament_python package that is also an ordinary pip-installable package."""

import xml.etree.ElementTree as ET
from glob import glob

from setuptools import find_packages, setup

_XML = ET.parse("package.xml").getroot()  # single source of name, version, description
PACKAGE = "maniptrans_sim"

setup(
    name=PACKAGE,
    version=_XML.findtext("version"),
    packages=find_packages(exclude=["test", "test.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/config", [f for f in glob("config/*") if not f.endswith(".gitkeep")]),
    ],
    install_requires=["setuptools"],
    zip_safe=True,
    description=_XML.findtext("description"),
    license="Apache-2.0",
    python_requires=">=3.10",
    entry_points={
        "console_scripts": [
            # CONSOLE_SCRIPTS: one line per executable, "name = maniptrans_sim.module:main"
            "mock_rig = maniptrans_sim.mock.mock_rig_node:main",
            "mock_rig_headless = maniptrans_sim.mock.mock_rig:main",
            "trajectory_player = maniptrans_sim.trajectory_player_node:main",
        ],
    },
)
