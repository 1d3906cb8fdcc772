#!/usr/bin/env python3
"""`make setup`: create .venv, install pinned dependencies, build the ROS workspace, write env.sh.

Standard library only: this runs before anything is installed. Idempotent: every step records a
stamp (a hash of its inputs) under .venv/.stamps and is skipped while its inputs are unchanged, so
a second `make setup` takes seconds.

Two ROS paths:
- no ROS sourced (``ROS_DISTRO`` unset): ROS 2 Jazzy comes from PyPI wheels into .venv;
- a system ROS 2 sourced (``ROS_DISTRO`` = humble | jazzy | ...): .venv sees the system packages
  (``--system-site-packages``), the ROS-wheels block of requirements.txt is skipped, and env.sh
  sources ``/opt/ros/$ROS_DISTRO/setup.bash`` first.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
WS = ROOT / "ros2_ws"
REQUIREMENTS = ROOT / "requirements.txt"
# Exact versions of every transitive dependency (pip freeze of a working .venv): pip installs
# requirements.txt under these constraints, so a new release of an indirect dependency cannot
# change a fresh set-up. Regenerate with `make lock` after changing requirements.txt.
CONSTRAINTS = ROOT / "constraints.txt"
# Debian packages: offscreen MuJoCo rendering (OSMesa) for model pictures and replay videos.
APT_PACKAGES = ("libosmesa6", "libgl1", "libglu1-mesa")
SUPPORTED_DISTROS = ("humble", "jazzy", "kilted", "rolling")


class SetupError(RuntimeError):
    """A set-up step failed; the message says which and what to do."""


@dataclass(frozen=True)
class Plan:
    """What `make setup` will do on this machine (pure decision, no side effects)."""

    ros_source: str  # "wheels" (PyPI ROS 2 Jazzy into .venv) or "system" (sourced ROS 2)
    ros_distro: str  # distro the workspace runs on
    system_site_packages: bool  # the venv must see the system ROS Python packages
    requirement_lines: tuple[str, ...]  # pip requirement lines to install
    ros_setup_script: str | None  # system ROS setup script env.sh sources first, if any
    profile: str = "dev"  # "dev" (everything) or "robot" (ROS packages only, no torch)
    notes: tuple[str, ...] = field(default=())  # what the user is told about the decision


PROFILES = {
    # dev machines and CI: everything
    "dev": ("runtime", "training", "build", "test", "ros-wheels"),
    # a robot PC: the ROS packages only (no torch, no test or benchmark tools)
    "robot": ("runtime", "build", "ros-wheels"),
}


def parse_blocks(text: str) -> dict[str, list[str]]:
    """requirements.txt as {block name: requirement lines}; blocks start with ``# --- name:``."""
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in text.splitlines():
        line = raw.split(" #")[0].strip()
        if raw.startswith("# ---"):
            name = raw[len("# ---") :].split(":")[0].split()[0]
            current = blocks.setdefault(name, [])
            continue
        if not line or line.startswith("#"):
            continue
        if current is None:
            raise SetupError(f"requirements.txt: {line!r} stands before any '# --- <block>:' line")
        current.append(line)
    return blocks


def make_plan(env: dict[str, str], requirements_text: str, profile: str = "dev") -> Plan:
    """Decide the ROS source from the environment: a sourced system ROS 2 wins over the wheels."""
    if profile not in PROFILES:
        raise SetupError(f"profile {profile!r}: expected one of {', '.join(PROFILES)}")
    blocks = parse_blocks(requirements_text)
    missing = [b for b in PROFILES[profile] if b not in blocks]
    if missing:
        raise SetupError(f"requirements.txt: blocks {missing} not found (have {sorted(blocks)})")
    general = [ln for b in PROFILES[profile] if b != "ros-wheels" for ln in blocks[b]]
    ros = blocks["ros-wheels"]
    distro = env.get("ROS_DISTRO", "").strip()
    if distro:
        if distro not in SUPPORTED_DISTROS:
            raise SetupError(
                f"ROS_DISTRO={distro!r} is sourced but not supported; expected one of "
                f"{', '.join(SUPPORTED_DISTROS)}. Unset ROS_DISTRO to use the PyPI Jazzy wheels."
            )
        script = f"/opt/ros/{distro}/setup.bash"
        return Plan(
            ros_source="system",
            ros_distro=distro,
            system_site_packages=True,
            requirement_lines=tuple(general),
            ros_setup_script=script,
            profile=profile,
            notes=(
                f"ROS_DISTRO={distro} is sourced: using the system ROS 2 ({script}); "
                "the PyPI ROS wheels are not installed.",
            ),
        )
    return Plan(
        ros_source="wheels",
        ros_distro="jazzy",
        system_site_packages=False,
        requirement_lines=tuple(general + ros),
        ros_setup_script=None,
        profile=profile,
        notes=("No ROS_DISTRO sourced: ROS 2 Jazzy (rclpy + messages) comes from PyPI wheels.",),
    )


# ----------------------------------------------------------------------------------------- steps
def _say(msg: str) -> None:
    print(f"[setup] {msg}", flush=True)


def _run(cmd: list[str], what: str, **kw) -> None:
    _say(f"{what}: {' '.join(cmd)}")
    try:
        subprocess.run(cmd, check=True, **kw)
    except subprocess.CalledProcessError as exc:
        raise SetupError(f"{what} failed (exit {exc.returncode}): {' '.join(cmd)}") from exc


def _stamp_ok(name: str, key: str) -> bool:
    path = VENV / ".stamps" / name
    return path.exists() and path.read_text() == key


def _stamp_write(name: str, key: str) -> None:
    (VENV / ".stamps").mkdir(parents=True, exist_ok=True)
    (VENV / ".stamps" / name).write_text(key)


def _hash(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
    return h.hexdigest()


def _tree_key(src: Path) -> str:
    """Hash of what a colcon (symlink) build depends on: the packages' build files and file list.

    Python sources are symlinked, so editing one needs no rebuild; adding a file, an entry point or
    a share file does.
    """
    h = hashlib.sha256()
    for f in sorted(src.rglob("*")):
        if not f.is_file() or "__pycache__" in f.parts:
            continue
        h.update(str(f.relative_to(src)).encode())
        if f.name in ("setup.py", "setup.cfg", "package.xml"):
            h.update(f.read_bytes())
    return h.hexdigest()


def step_apt() -> None:
    missing = [p for p in APT_PACKAGES if not _dpkg_installed(p)]
    if not missing:
        _say("Debian packages present: " + ", ".join(APT_PACKAGES))
        return
    if shutil.which("apt-get") is None:
        _say(f"WARNING: no apt-get; install {', '.join(missing)} for offscreen rendering")
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    _run([*sudo, "apt-get", "update", "-qq"], "apt-get update", env=env)
    _run([*sudo, "apt-get", "install", "-y", "-qq", *missing], "install Debian packages", env=env)


def _dpkg_installed(name: str) -> bool:
    if shutil.which("dpkg-query") is None:
        return False
    res = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True, check=False
    )
    return res.returncode == 0 and "install ok installed" in res.stdout


def step_venv(plan: Plan) -> Path:
    py = VENV / "bin" / "python"
    want_ssp = "true" if plan.system_site_packages else "false"
    cfg = VENV / "pyvenv.cfg"
    if py.exists() and cfg.exists():
        have_ssp = "include-system-site-packages = true" in cfg.read_text()
        if have_ssp == plan.system_site_packages:
            _say(f"venv present: {VENV} (system site packages: {want_ssp})")
            return py
        _say("venv exists with the other ROS path; recreating it")
        shutil.rmtree(VENV)
    args = [sys.executable, "-m", "venv", str(VENV)]
    if plan.system_site_packages:
        args.append("--system-site-packages")
    _run(args, "create venv")
    return py


def step_pip(py: Path, plan: Plan) -> None:
    lines = "\n".join(plan.requirement_lines) + "\n"
    constraints = CONSTRAINTS.read_text() if CONSTRAINTS.exists() else ""
    key = _hash(lines, constraints, plan.ros_source)
    if _stamp_ok("pip", key):
        _say("pinned Python dependencies already installed")
        return
    req = VENV / "requirements.resolved.txt"
    req.write_text(lines)
    _run([str(py), "-m", "pip", "install", "-q", "--upgrade", "pip==25.3"], "upgrade pip")
    cmd = [str(py), "-m", "pip", "install", "-r", str(req)]
    if constraints:
        cmd += ["-c", str(CONSTRAINTS)]
    _run(cmd, "install pinned dependencies")
    _stamp_write("pip", key)


def step_training(py: Path) -> None:
    key = _hash((ROOT / "training" / "pyproject.toml").read_bytes())
    if _stamp_ok("training", key):
        _say("training package already installed (editable)")
        return
    _run(
        [str(py), "-m", "pip", "install", "-q", "--no-deps", "-e", str(ROOT / "training")],
        "install training/ (editable)",
    )
    _stamp_write("training", key)


def step_colcon(plan: Plan) -> None:
    key = _tree_key(WS / "src") + plan.ros_source
    if _stamp_ok("colcon", key) and (WS / "install" / "setup.sh").exists():
        _say("workspace build is up to date")
        return
    env = dict(os.environ)
    env["PATH"] = f"{VENV / 'bin'}:{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(VENV)
    _run(
        [
            str(VENV / "bin" / "colcon"),
            "--log-base",
            str(WS / "log"),
            "build",
            "--symlink-install",
            "--base-paths",
            str(WS / "src"),
            "--build-base",
            str(WS / "build"),
            "--install-base",
            str(WS / "install"),
            "--event-handlers",
            "console_cohesion-",
            "summary+",
        ],
        "colcon build",
        env=env,
        cwd=WS,
    )
    _stamp_write("colcon", key)


WARMUP_CODE = (
    "from maniptrans_retarget.arm_ik import ArmIk; "
    "from maniptrans_retarget.arm_kinematics import ArmKinematics; "
    "ArmIk(ArmKinematics.from_description('rm75_b', 'left'))"
)


def step_warm_caches() -> None:
    """Compile the arm IK kernel (numba, cached on disk) now, not at the first node start."""
    kernel = WS / "src/maniptrans_retarget/maniptrans_retarget/arm_ik_kernel.py"
    if not kernel.exists():
        return
    key = _hash(kernel.read_bytes())
    if _stamp_ok("warm", key):
        _say("compiled IK kernel cache is warm")
        return
    _run(
        ["bash", "-c", f'. {ROOT / "env.sh"} && python -c "{WARMUP_CODE}"'],
        "compile the arm IK kernel (once, about 10 s)",
    )
    _stamp_write("warm", key)


def env_script(plan: Plan) -> str:
    """The shell script every shell, test and CI run sources (bash/zsh/sh compatible)."""
    lines = [
        "# Generated by `make setup` (tools/workspace_setup.py). Source it: `. ./env.sh`",
        f'MANIPTRANS_ROOT="{ROOT}"',
        "export MANIPTRANS_ROOT",
    ]
    if plan.ros_setup_script:
        lines.append(f'. "{plan.ros_setup_script}"')
    lines += [
        '. "$MANIPTRANS_ROOT/.venv/bin/activate"',
        # colcon's own script: PYTHONPATH and AMENT_PREFIX_PATH of every built package.
        'COLCON_CURRENT_PREFIX="$MANIPTRANS_ROOT/ros2_ws/install" '
        '. "$MANIPTRANS_ROOT/ros2_ws/install/setup.sh"',
    ]
    if plan.ros_source == "wheels":
        # ament_index finds the PyPI message packages under the venv prefix.
        lines.append('export AMENT_PREFIX_PATH="$AMENT_PREFIX_PATH:$VIRTUAL_ENV"')
    lines += [
        # Console scripts (CLIs and node executables) of our packages on PATH.
        'for _d in "$MANIPTRANS_ROOT"/ros2_ws/install/*/; do _n=$(basename "$_d"); '
        '[ -d "$_d/lib/$_n" ] && PATH="$_d/lib/$_n:$PATH"; done',
        "unset _d _n",
        "export PATH",
        # Keep DDS on this machine (Jazzy and Humble spellings).
        "export ROS_AUTOMATIC_DISCOVERY_RANGE=${ROS_AUTOMATIC_DISCOVERY_RANGE:-LOCALHOST}",
        (
            "export ROS_LOCALHOST_ONLY=${ROS_LOCALHOST_ONLY:-1}"
            if plan.ros_distro == "humble"
            else ""
        ),
        # Offscreen MuJoCo rendering without a GPU or display.
        "export MUJOCO_GL=${MUJOCO_GL:-osmesa}",
        "export PYOPENGL_PLATFORM=${PYOPENGL_PLATFORM:-osmesa}",
    ]
    return "\n".join(x for x in lines if x) + "\n"


def step_env(plan: Plan) -> None:
    path = ROOT / "env.sh"
    text = env_script(plan)
    if path.exists() and path.read_text() == text:
        _say("env.sh up to date")
        return
    path.write_text(text)
    _say(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plan", action="store_true", help="print the decision and exit")
    parser.add_argument("--skip-apt", action="store_true", help="do not install Debian packages")
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="dev",
        help="dev: everything (default); robot: the ROS packages only (no torch, no test tools)",
    )
    args = parser.parse_args(argv)
    try:
        plan = make_plan(dict(os.environ), REQUIREMENTS.read_text(), args.profile)
        for note in plan.notes:
            _say(note)
        if args.plan:
            print(plan)
            return 0
        if not args.skip_apt:
            step_apt()
        py = step_venv(plan)
        step_pip(py, plan)
        if plan.profile == "dev":
            step_training(py)
        step_colcon(plan)
        step_env(plan)
        step_warm_caches()
    except SetupError as exc:
        print(f"[setup] ERROR: {exc}", file=sys.stderr)
        return 1
    _say("done. Next: `make test` (or `. ./env.sh` to use the workspace in this shell).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
