"""Replay report: how well the hardware (or the twin) followed a recorded replay.

Pure module (numpy, rosbags, the description's kinematics). From a bag of a replay it computes

* joint tracking, per joint, command vs measured, arms and hands [rad] (RMS, max);
* E_ft: fingertip error between the sim 12-DoF reference and the real hand at its measured
  actuator positions (mimics applied), fingertips in the hand base frame [m];
* wrist error (E_j-like): sim wrist target mapped to the table (``T_world_sim``) vs the hand
  base reached by the measured arm joints (arm base · FK · mount) [m], [rad];
* E_t, E_r: object translation [m] / rotation [rad] error, sim reference vs the twin's object
  (``/mock/objects/<name>/pose``), when an object was simulated;
* command-period jitter per command topic [s] and end-to-end latency, sim frame stamp -> command
  received on the wire side (the recorder's receive time; the recorder runs at a lower CPU
  priority, so this is an upper bound) [s].

Samples are placed on the publishers' clock: a message's header stamp (the measurement time of a
measured state, the sim frame's time of a command or sim topic), or the recorder's receive time
for a topic without stamps. Every reference is sampled zero-order-hold at the measured sample's
time, so servo lag and pipeline delay are part of the errors (as a user sees them), while the
recorder's own scheduling is not.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from maniptrans_bringup.errors import BringupError
from maniptrans_bringup.topics import SIDES, command, measured, sim_hand, sim_wrist

JOINT_STATE = "sensor_msgs/msg/JointState"
POSE_STAMPED = "geometry_msgs/msg/PoseStamped"
DIAGNOSTIC_ARRAY = "diagnostic_msgs/msg/DiagnosticArray"


@dataclass
class Series:
    """Samples of one topic.

    Attributes:
        t: (N,) receive time [s since epoch] (bag time).
        stamp: (N,) header stamp [s since epoch] (0 where the publisher set none).
        names: joint names of the first message (JointState) or [] (poses).
        values: (N, J) positions [rad] (JointState) or (N, 7) pose x y z qx qy qz qw.
        frame_id: header frame of the first message.
    """

    t: np.ndarray
    stamp: np.ndarray
    names: list[str]
    values: np.ndarray
    frame_id: str = ""

    def __len__(self) -> int:
        return int(self.t.size)

    @property
    def time(self) -> np.ndarray:
        """(N,) sample time [s since epoch]: the header stamps when every sample has one (the
        publisher's clock), else the receive times."""
        return self.stamp if self.stamp.size and bool(np.all(self.stamp > 0)) else self.t

    def within(self, windows: list[tuple[float, float]] | None) -> Series:
        """The samples whose ``time`` is inside ``windows`` ([t0, t1] pairs); all if None."""
        if windows is None:
            return self
        keep = np.zeros(len(self), dtype=bool)
        time = self.time
        for t0, t1 in windows:
            keep |= (time >= t0) & (time <= t1)
        return Series(self.t[keep], self.stamp[keep], self.names, self.values[keep], self.frame_id)

    def columns(self, names: list[str]) -> np.ndarray:
        """(N, len(names)) columns by joint name (raises naming the missing joint)."""
        if not self.names:
            return self.values[:, : len(names)]
        idx = []
        for n in names:
            if n not in self.names:
                raise BringupError(f"joint {n!r} not in recorded names {self.names}")
            idx.append(self.names.index(n))
        return self.values[:, idx]


@dataclass
class Replay:
    """Everything the report reads from a bag."""

    path: str
    series: dict[str, Series] = field(default_factory=dict)
    diagnostics: list[tuple[float, str, int, dict[str, str]]] = field(default_factory=list)

    def get(self, topic: str) -> Series | None:
        s = self.series.get(topic)
        return s if s is not None and len(s) else None


def load_replay(path: str | Path) -> Replay:
    """Decode the JointState, PoseStamped and DiagnosticArray topics of a bag (offline)."""
    from maniptrans_bringup.bag_io import read_bag_messages, typestore

    store = typestore()
    rows: dict[str, list] = {}
    meta: dict[str, tuple[list[str], str]] = {}
    rep = Replay(str(path))
    for topic, msgtype, t_ns, raw in read_bag_messages(path):
        if msgtype not in (JOINT_STATE, POSE_STAMPED, DIAGNOSTIC_ARRAY):
            continue
        msg = store.deserialize_cdr(bytes(raw), msgtype)
        t = t_ns * 1e-9
        if msgtype == DIAGNOSTIC_ARRAY:
            stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
            t = stamp if stamp > 0 else t  # the publisher's clock, like every other series
            for st in msg.status:
                rep.diagnostics.append(
                    (t, st.name, int(st.level), {kv.key: kv.value for kv in st.values})
                )
            continue
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        if msgtype == JOINT_STATE:
            names = list(msg.name)
            if topic in meta and names and names != meta[topic][0]:
                continue  # a message with another joint set: skip rather than mix columns
            vals = np.asarray(msg.position, dtype=float)
        else:
            names = []
            p, o = msg.pose.position, msg.pose.orientation
            vals = np.array([p.x, p.y, p.z, o.x, o.y, o.z, o.w])
        meta.setdefault(topic, (names, msg.header.frame_id))
        if rows.get(topic) and rows[topic][0][2].shape != vals.shape:
            continue
        rows.setdefault(topic, []).append((t, stamp, vals))
    for topic, r in rows.items():
        if all(x[1] > 0 for x in r):
            r.sort(key=lambda x: x[1])  # on the publisher's clock (see Series.time)
        rep.series[topic] = Series(
            t=np.array([x[0] for x in r]),
            stamp=np.array([x[1] for x in r]),
            names=meta[topic][0],
            values=np.stack([x[2] for x in r]),
            frame_id=meta[topic][1],
        )
    return rep


def zoh(ref_t: np.ndarray, ref_v: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reference held at each time of ``t``; returns (mask of t inside the reference's span,
    values at those t). ``ref_t`` must be sorted."""
    inside = (t >= ref_t[0]) & (t <= ref_t[-1])
    idx = np.searchsorted(ref_t, t[inside], side="right") - 1
    return inside, ref_v[idx]


def _stats(err: np.ndarray) -> dict[str, float]:
    if err.size == 0:
        return {"rms": float("nan"), "mean": float("nan"), "max": float("nan"), "n": 0}
    return {
        "rms": float(np.sqrt(np.mean(err**2))),
        "mean": float(np.mean(np.abs(err))),
        "max": float(np.max(np.abs(err))),
        "n": int(err.size),
    }


LAG_SCAN = np.arange(0.0, 2.0 + 1e-9, 0.01)
"""Delays [s] of a measured series behind its reference tried by `joint_tracking` and
`fingertip_error`."""


def _best_lag(rms_at: Callable[[float], float]) -> tuple[float, float]:
    """The delay of `LAG_SCAN` with the smallest ``rms_at(lag)``, and that RMS ((0, nan) when
    there is nothing to compare)."""
    values = np.array([rms_at(lag) for lag in LAG_SCAN])
    if np.all(np.isnan(values)):
        return 0.0, float("nan")
    best = int(np.nanargmin(values))
    return float(LAG_SCAN[best]), float(values[best])


def joint_tracking(cmd: Series, meas: Series) -> dict[str, Any]:
    """Per-joint command-vs-measured error [rad] at the measured samples.

    Also split into timing and shape as in `fingertip_error`: ``lag`` [s] of the measured
    joints behind the commands (of `LAG_SCAN`) that minimises the RMS, ``rms_at_lag`` [rad]."""
    names = cmd.names or meas.names
    m = meas.columns(names)
    c = cmd.columns(names)
    inside, ref = zoh(cmd.time, c, meas.time)
    err = m[inside] - ref  # (n, J)
    per_joint = {n: _stats(err[:, j]) for j, n in enumerate(names)}
    overall = _stats(err.ravel())

    def rms_at(lag: float) -> float:
        ok, ref_l = zoh(cmd.time, c, meas.time - lag)
        return _stats((m[ok] - ref_l).ravel())["rms"]

    lag, rms_at_lag = _best_lag(rms_at)
    return {
        "joints": per_joint,
        "rms": overall["rms"],
        "max": overall["max"],
        "lag": lag,
        "rms_at_lag": rms_at_lag,
        "t": meas.time[inside],
        "err": err,
        "cmd": ref,
        "meas": m[inside],
        "names": names,
    }


class HandTips:
    """Fingertip positions in the hand base frame from the 12 sim joints (Pinocchio)."""

    def __init__(self, side: str) -> None:
        import pinocchio as pin

        from maniptrans_description.inspire import fingertip_frames, sim_joint_names
        from maniptrans_description.loaders import load_pinocchio, pinocchio_q_indices

        self.pin = pin
        self.side = side
        self.model = load_pinocchio(f"inspire_hand_{side}_sim")
        self.data = self.model.createData()
        self.names = list(sim_joint_names(side))  # type: ignore[arg-type]
        self.qidx = pinocchio_q_indices(self.model, self.names)
        self.frames = [self.model.getFrameId(f) for f in fingertip_frames(side)]  # type: ignore[arg-type]

    def tips(self, q12: np.ndarray) -> np.ndarray:
        """(N, 12) sim joints [rad] -> (N, 5, 3) tips [m], thumb..pinky."""
        q12 = np.atleast_2d(q12)
        out = np.empty((q12.shape[0], len(self.frames), 3))
        q = self.pin.neutral(self.model)
        for i, row in enumerate(q12):
            q[self.qidx] = row
            self.pin.framesForwardKinematics(self.model, self.data, q)
            for j, f in enumerate(self.frames):
                out[i, j] = self.data.oMf[f].translation
        return out


def fingertip_error(sim: Series, meas_hand: Series, side: str) -> dict[str, Any]:
    """E_ft: per-sample mean over the 5 tips of ‖tip_real − tip_sim‖ [m].

    Also split into timing and shape: ``lag`` is the delay [s] of the real hand behind the sim
    reference (of `LAG_SCAN`) that minimises the error, ``rms_at_lag`` the error left at that
    delay. The fingers' speed limit and a loaded computer show up in the lag; a wrong actuator
    mapping, calibration or retarget in the error at the lag."""
    from maniptrans_description.inspire import actuator_names, actuators_to_sim_joints

    kin = HandTips(side)
    q_act = meas_hand.columns(list(actuator_names(side)))  # type: ignore[arg-type]
    t = meas_hand.time
    inside = (t >= sim.time[0]) & (t <= sim.time[-1])
    tips_real = kin.tips(actuators_to_sim_joints(side, q_act[inside]))  # type: ignore[arg-type]
    tips_sim = kin.tips(sim.columns(kin.names))  # every reference sample, once

    def per_sample(lag: float) -> np.ndarray:
        idx = np.searchsorted(sim.time, t[inside] - lag, side="right") - 1
        ok = idx >= 0
        return np.linalg.norm(tips_real[ok] - tips_sim[idx[ok]], axis=2)  # (n, 5)

    d = per_sample(0.0)
    err = d.mean(axis=1)
    lag, rms_at_lag = _best_lag(lambda lag: _stats(per_sample(lag).mean(axis=1))["rms"])
    tips = ["thumb", "index", "middle", "ring", "pinky"]
    return {
        "rms": _stats(err)["rms"],
        "mean": _stats(err)["mean"],
        "max": _stats(d.ravel())["max"],
        "per_tip_rms": {n: _stats(d[:, i])["rms"] for i, n in enumerate(tips)},
        "lag": lag,
        "rms_at_lag": rms_at_lag,
        "t": t[inside],
        "err": err,
    }


def _pose_to_matrix(pose7: np.ndarray) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    T = np.tile(np.eye(4), (pose7.shape[0], 1, 1))
    T[:, :3, :3] = Rotation.from_quat(pose7[:, 3:7]).as_matrix()  # scipy: x y z w
    T[:, :3, 3] = pose7[:, :3]
    return T


def _rot_angle(Ra: np.ndarray, Rb: np.ndarray) -> np.ndarray:
    """(N,) angle of Ra^T Rb [rad]."""
    c = (np.einsum("nji,nji->n", Ra, Rb) - 1.0) / 2.0
    return np.arccos(np.clip(c, -1.0, 1.0))


def _pose_errors(T_ref: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 4, 4) x2 -> per pose the distance [m] and the rotation angle [rad] between them."""
    pos = np.linalg.norm(T[:, :3, 3] - T_ref[:, :3, 3], axis=1)
    return pos, _rot_angle(T_ref[:, :3, :3], T[:, :3, :3])


def wrist_error(sim_wrist: Series, meas_arm: Series, side: str, calib) -> dict[str, Any]:
    """Hand base reached by the measured arm vs the sim wrist on the table [m], [rad]."""
    from maniptrans_description.rm75 import joint_names, mdh_fk

    q = meas_arm.columns(list(joint_names(side)))  # type: ignore[arg-type]
    inside, target = zoh(sim_wrist.time, sim_wrist.values, meas_arm.time)
    T_target = calib.T_world_sim @ _pose_to_matrix(target)
    base, mount = calib.T_world_armbase[side], calib.T_flange_hand[side]
    T_real = np.stack([base @ mdh_fk(calib.arm_variant, qi) @ mount for qi in q[inside]])
    if T_real.size == 0:
        T_real = np.zeros((0, 4, 4))
    pos, rot = _pose_errors(T_target, T_real)
    return {
        "position": _stats(pos),
        "rotation": _stats(rot),
        "t": meas_arm.time[inside],
        "pos_err": pos,
        "rot_err": rot,
    }


def object_error(ref: Series, twin: Series, calib) -> dict[str, Any]:
    """E_t [m], E_r [rad]: sim reference (mapped by ``T_world_sim`` unless the twin reports in
    the sim frame) vs the twin's object."""
    inside, target = zoh(ref.time, ref.values, twin.time)
    T_ref = _pose_to_matrix(target)
    if twin.frame_id not in ("sim", "sim_world"):
        T_ref = calib.T_world_sim @ T_ref
    T_twin = _pose_to_matrix(twin.values[inside])
    e_t, e_r = _pose_errors(T_ref, T_twin)
    return {
        "E_t": _stats(e_t),
        "E_r": _stats(e_r),
        "t": twin.time[inside],
        "e_t": e_t,
        "e_r": e_r,
    }


def period_jitter(s: Series) -> dict[str, float]:
    """Period statistics of a topic on its publisher's clock [s]: median period, std, p99
    |period − median|."""
    if len(s) < 3:
        return {
            "rate_hz": float("nan"),
            "period": float("nan"),
            "std": float("nan"),
            "p99_dev": float("nan"),
            "n": len(s),
        }
    dt = np.diff(s.time)
    med = float(np.median(dt))
    return {
        "rate_hz": 1.0 / med if med > 0 else float("inf"),
        "period": med,
        "std": float(np.std(dt)),
        "p99_dev": float(np.percentile(np.abs(dt - med), 99)),
        "n": len(s),
    }


def latency(sim: Series, cmd: Series) -> dict[str, Any]:
    """Sim frame stamp -> command receive time [s].

    If the command carries the stamp of the sim frame it was computed from (``stamp``
    propagated), that frame is used; otherwise the newest sim frame received before the command
    (an upper bound of the pipeline delay).
    """
    stamps = set(np.round(sim.stamp, 9).tolist())
    propagated = np.array([round(s, 9) in stamps for s in cmd.stamp])
    if propagated.mean() > 0.5:
        lat = cmd.t[propagated] - cmd.stamp[propagated]
        method = "stamp propagated"
    else:
        inside, src_stamp = zoh(sim.t, sim.stamp, cmd.t)
        lat = cmd.t[inside] - src_stamp
        method = "newest sim frame before the command"
    if lat.size == 0:
        return {
            "method": method,
            "p50": float("nan"),
            "p95": float("nan"),
            "max": float("nan"),
            "n": 0,
        }
    return {
        "method": method,
        "p50": float(np.percentile(lat, 50)),
        "p95": float(np.percentile(lat, 95)),
        "max": float(np.max(lat)),
        "n": int(lat.size),
    }


def _drop_arrays(d: Any) -> Any:
    if isinstance(d, dict):
        return {k: _drop_arrays(v) for k, v in d.items() if not isinstance(v, np.ndarray)}
    if isinstance(d, float) and not math.isfinite(d):
        return None
    return d


def playing_windows(
    diags: Iterable[tuple[float, str, int, dict[str, str]]],
) -> list[tuple[float, float]] | None:
    """Time spans in which the trajectory player reported ``state: playing`` (it reports every
    state change at once); None if the bag has no player status (then everything counts).
    Waiting for the drivers' soft start and fault holds are outside these windows."""
    events = sorted((t, v.get("state")) for t, name, _l, v in diags if name == "trajectory_player")
    if not events:
        return None
    out: list[tuple[float, float]] = []
    start = None
    for t, state in events:
        if state == "playing" and start is None:
            start = t
        elif state != "playing" and start is not None:
            out.append((start, t))
            start = None
    if start is not None:
        out.append((start, float("inf")))
    return out


def build_report(replay: Replay, calibration: str | None = None) -> dict[str, Any]:
    """The report as a nested dict; per-sample arrays are kept under ``"_series"`` for plots.

    Errors are evaluated on measured samples inside the player's playing windows."""
    from maniptrans_description.rig import RigCalibration

    calib = RigCalibration.load(calibration)
    windows = playing_windows(replay.diagnostics)
    rep: dict[str, Any] = {"bag": replay.path, "sides": {}, "objects": {}, "timing": {}}
    rep["playing_windows"] = [[a, b if math.isfinite(b) else None] for a, b in windows or []]
    series: dict[str, Any] = {}

    def meas_of(topic: str) -> Series | None:
        s = replay.get(topic)
        s = s.within(windows) if s is not None else None
        return s if s is not None and len(s) else None

    for side in SIDES:
        out: dict[str, Any] = {}
        for dev in ("arm", "hand"):
            cmd, meas = replay.get(command(side, dev)), meas_of(measured(side, dev))
            if cmd is not None and meas is not None:
                jt = joint_tracking(cmd, meas)
                out[f"{dev}_tracking"] = jt
        sim_h, meas_h = replay.get(sim_hand(side)), meas_of(measured(side, "hand"))
        if sim_h is not None and meas_h is not None:
            out["fingertip"] = fingertip_error(sim_h, meas_h, side)
        sim_w, meas_a = replay.get(sim_wrist(side)), meas_of(measured(side, "arm"))
        if sim_w is not None and meas_a is not None:
            out["wrist"] = wrist_error(sim_w, meas_a, side, calib)
        if out:
            series[side] = out
            rep["sides"][side] = _drop_arrays(out)
    for topic, ref in replay.series.items():
        if topic.startswith("/sim/objects/"):
            name = topic.split("/")[3]
            twin = meas_of(f"/mock/objects/{name}/pose")
            if twin is not None:
                oe = object_error(ref, twin, calib)
                series.setdefault("objects", {})[name] = oe
                rep["objects"][name] = _drop_arrays(oe)
    for side in SIDES:
        for dev in ("arm", "hand"):
            for topic in (command(side, dev), measured(side, dev)):
                s = replay.get(topic)
                if s is not None:
                    rep["timing"].setdefault("periods", {})[topic] = period_jitter(s)
            cmd, sim = (
                replay.get(command(side, dev)),
                replay.get(sim_hand(side) if dev == "hand" else sim_wrist(side)),
            )
            if cmd is not None and sim is not None:
                rep["timing"].setdefault("latency", {})[command(side, dev)] = latency(sim, cmd)
    rep["diagnostics"] = diagnostics_summary(replay.diagnostics)
    rep["topics"] = {t: len(s) for t, s in sorted(replay.series.items())}
    rep = _drop_arrays(rep)
    rep["_series"] = series
    return rep


SAFETY_KEYS = ("rejected", "rejections", "latches", "events")
"""Driver diagnostics whose last value the report keeps: the safety gate's counters."""


def diagnostics_summary(diags: Iterable[tuple[float, str, int, dict[str, str]]]) -> dict:
    """Per status name: reports, worst level (0 OK, 1 WARN, 2 ERROR, 3 STALE), errors, and for
    the drivers the safety gate's last counters (``rejected``, ``rejections`` by reason,
    ``latches``, ``events``; the gate counts from the driver's start, so the last is the total)
    and their loop's last statistics under ``loop`` (the ``loop_*`` values, as numbers).
    """
    out: dict[str, dict[str, Any]] = {}
    for _t, name, level, values in diags:
        d = out.setdefault(name, {"reports": 0, "worst_level": 0, "errors": 0})
        d["reports"] += 1
        d["worst_level"] = max(d["worst_level"], level)
        d["errors"] += int(level >= 2)
        for key in SAFETY_KEYS:
            if key in values:
                d.setdefault("safety", {})[key] = _json_or_text(values[key])
        loop = {k[len("loop_") :]: _number(v) for k, v in values.items() if k.startswith("loop_")}
        if loop:
            d["loop"] = loop
    return out


def driver_loop(rep: dict[str, Any], side: str, part: str) -> dict[str, float] | None:
    """The last loop statistics of ``side``'s ``part`` ("arm" or "hand") driver (``rate_hz``,
    ``period_p50_ms``, ``period_p99_ms``, ``overruns``, ...; see the drivers' diagnostics), or
    None if the bag has none."""
    for name, d in rep.get("diagnostics", {}).items():
        if name.endswith(f": {side} {part}") and "loop" in d:
            return d["loop"]
    return None


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def safety_counts(rep: dict[str, Any], side: str) -> tuple[int, int] | None:
    """(commands rejected, stops) of ``side``'s drivers over the run — stops being device
    faults plus latches still set at the end — or None without driver diagnostics there."""
    rejected = stops = 0
    found = False
    for name, d in rep.get("diagnostics", {}).items():
        safety = d.get("safety")
        if safety is None or not name.startswith(f"{side}_"):
            continue
        found = True
        r = safety.get("rejected", 0)
        rejected += int(r) if isinstance(r, int | float) else 0
        latches, events = safety.get("latches", []), safety.get("events", {})
        stops += len(latches) if isinstance(latches, list) else 0
        stops += int(events.get("fault", 0)) if isinstance(events, dict) else 0
    return (rejected, stops) if found else None


def format_table(rep: dict[str, Any]) -> str:
    """A short human-readable table of the headline numbers."""
    rows = [("metric", "left", "right")]

    def get(side: str, *keys: str, scale: float = 1.0, fmt: str = "{:.2f}") -> str:
        d: Any = rep["sides"].get(side, {})
        for k in keys:
            d = d.get(k) if isinstance(d, dict) else None
        return fmt.format(d * scale) if isinstance(d, (int, float)) else "-"

    deg, mm = 180.0 / math.pi, 1000.0
    rows.append(
        ("arm tracking RMS [deg]", *(get(s, "arm_tracking", "rms", scale=deg) for s in SIDES))
    )
    rows.append(
        (
            "arm lag [ms] / RMS at lag [deg]",
            *(
                f"{get(s, 'arm_tracking', 'lag', scale=1e3, fmt='{:.0f}')} / "
                f"{get(s, 'arm_tracking', 'rms_at_lag', scale=deg)}"
                for s in SIDES
            ),
        )
    )
    rows.append(
        ("hand tracking RMS [deg]", *(get(s, "hand_tracking", "rms", scale=deg) for s in SIDES))
    )
    rows.append(
        ("fingertip E_ft RMS [mm]", *(get(s, "fingertip", "rms", scale=mm) for s in SIDES))
    )
    rows.append(
        (
            "hand lag behind sim [ms]",
            *(get(s, "fingertip", "lag", scale=1e3, fmt="{:.0f}") for s in SIDES),
        )
    )
    rows.append(
        ("E_ft at that lag [mm]", *(get(s, "fingertip", "rms_at_lag", scale=mm) for s in SIDES))
    )
    rows.append(
        ("wrist pos RMS [mm]", *(get(s, "wrist", "position", "rms", scale=mm) for s in SIDES))
    )
    rows.append(
        ("wrist rot RMS [deg]", *(get(s, "wrist", "rotation", "rms", scale=deg) for s in SIDES))
    )
    lat = rep["timing"].get("latency", {})
    rows.append(
        (
            "arm cmd latency p50 [ms]",
            *(
                f"{lat[command(s, 'arm')]['p50'] * 1e3:.1f}"
                if lat.get(command(s, "arm"), {}).get("p50") is not None
                else "-"
                for s in SIDES
            ),
        )
    )
    per = rep["timing"].get("periods", {})
    rows.append(
        (
            "arm cmd jitter std [ms]",
            *(
                f"{per[command(s, 'arm')]['std'] * 1e3:.2f}"
                if per.get(command(s, "arm"), {}).get("std") is not None
                else "-"
                for s in SIDES
            ),
        )
    )
    nan = math.nan
    for part in ("arm", "hand"):
        loops = [driver_loop(rep, s, part) for s in SIDES]
        rows.append(
            (
                f"{part} loop period p50 / p99 [ms]",
                *(
                    f"{lp.get('period_p50_ms', nan):.1f} / {lp.get('period_p99_ms', nan):.0f}"
                    if lp is not None
                    else "-"
                    for lp in loops
                ),
            )
        )
    counts = {s: safety_counts(rep, s) for s in SIDES}
    rows.append(
        (
            "safety: rejected cmds / stops",
            *(f"{c[0]} / {c[1]}" if c is not None else "-" for c in counts.values()),
        )
    )
    for name, o in rep["objects"].items():
        et, er = o["E_t"]["rms"], o["E_r"]["rms"]
        rows.append(
            (
                f"object {name} E_t [mm] / E_r [deg]",
                f"{et * mm:.1f}" if et is not None else "-",
                f"{er * deg:.1f}" if er is not None else "-",
            )
        )
    w = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"{r[0]:<{w[0]}}  {r[1]:>{w[1]}}  {r[2]:>{w[2]}}" for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


__all__ = [
    "HandTips",
    "Replay",
    "Series",
    "build_report",
    "driver_loop",
    "fingertip_error",
    "format_table",
    "joint_tracking",
    "latency",
    "load_replay",
    "object_error",
    "period_jitter",
    "wrist_error",
    "zoh",
]
