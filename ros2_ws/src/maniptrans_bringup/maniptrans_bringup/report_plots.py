"""PNG plots of a replay report (matplotlib, Agg backend; no display needed)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

DEG, MM = 180.0 / math.pi, 1000.0


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_errors(side: str, data: dict[str, Any], out: Path) -> Path | None:
    """Errors over time for one side: arm/hand tracking, fingertip E_ft, wrist pose."""
    panels = [k for k in ("arm_tracking", "hand_tracking", "fingertip", "wrist") if k in data]
    if not panels:
        return None
    plt = _plt()
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 2.2 * len(panels)), sharex=True)
    axes = np.atleast_1d(axes)
    t0 = min(float(data[k]["t"][0]) for k in panels if len(data[k]["t"]))
    for ax, key in zip(axes, panels, strict=True):
        d = data[key]
        t = d["t"] - t0
        if key.endswith("tracking"):
            ax.plot(t, np.sqrt(np.mean(d["err"] ** 2, axis=1)) * DEG, lw=1)
            ax.set_ylabel(f"{key.split('_')[0]} RMS\n[deg]")
        elif key == "fingertip":
            ax.plot(t, d["err"] * MM, lw=1)
            ax.set_ylabel("E_ft [mm]")
        else:
            ax.plot(t, d["pos_err"] * MM, lw=1, label="position [mm]")
            ax.plot(t, d["rot_err"] * DEG, lw=1, label="rotation [deg]")
            ax.set_ylabel("wrist")
            ax.legend(loc="upper right", fontsize=7)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("time [s]")
    fig.suptitle(f"{side}: errors over time")
    fig.tight_layout()
    path = out / f"errors_{side}.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_tracking(side: str, data: dict[str, Any], out: Path) -> Path | None:
    """Command vs measured, one small panel per arm joint and hand actuator."""
    keys = [k for k in ("arm_tracking", "hand_tracking") if k in data]
    if not keys:
        return None
    plt = _plt()
    n = sum(len(data[k]["names"]) for k in keys)
    cols = 4
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(12, 1.9 * rows), squeeze=False)
    i = 0
    for k in keys:
        d = data[k]
        t = d["t"] - d["t"][0] if len(d["t"]) else d["t"]
        for j, name in enumerate(d["names"]):
            ax = axes[i // cols][i % cols]
            ax.plot(t, d["cmd"][:, j] * DEG, lw=1, label="command")
            ax.plot(t, d["meas"][:, j] * DEG, lw=1, ls="--", label="measured")
            ax.set_title(name, fontsize=8)
            ax.tick_params(labelsize=7)
            i += 1
    for k in range(i, rows * cols):
        axes[k // cols][k % cols].axis("off")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"{side}: joint tracking [deg] over time [s]")
    fig.tight_layout()
    path = out / f"tracking_{side}.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def write_plots(series: dict[str, Any], out: Path) -> list[Path]:
    """Every plot of the report into ``out``; returns the written paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for side, data in series.items():
        if side == "objects":
            continue
        for fn in (plot_errors, plot_tracking):
            p = fn(side, data, out)
            if p is not None:
                paths.append(p)
    return paths


__all__ = ["plot_errors", "plot_tracking", "write_plots"]
