"""Build script: an ament_python package that is also an ordinary pip-installable package."""

import xml.etree.ElementTree as ET
from glob import glob

from setuptools import find_packages, setup

_XML = ET.parse("package.xml").getroot()  # single source of name, version, description
PACKAGE = "maniptrans_retarget"

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
            # CONSOLE_SCRIPTS: one line per executable, "name = maniptrans_retarget.module:main"
            "hand_retarget = maniptrans_retarget.hand_retarget_node:main",
            "maniptrans-retarget-hand = maniptrans_retarget.hand_cli:main",
            "arm_ik = maniptrans_retarget.arm_ik_node:main",
            "maniptrans-check-reach = maniptrans_retarget.reach_check:main",
        ],
    },
)
