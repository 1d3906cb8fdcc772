"""How every node process of the stack starts and stops ROS.

rclpy's default signal handlers shut the ROS context down from inside the signal handler. A
node that is taking a message at that instant then fails with an error from the middleware
(seen as ``RuntimeError: Unable to convert call argument '0' to Python object`` out of
``take_message``) and exits non-zero, which the replay runner rightly reports as a failed node.
So the nodes install their own SIGINT/SIGTERM handlers that only set a flag; the main thread
spins in short slices, sees the flag, and stops in its own order (devices and bags first, then
the node, then the context).
"""

from __future__ import annotations

import faulthandler
import signal
import threading
from collections.abc import Callable

import rclpy
from rclpy.signals import SignalHandlerOptions

STUCK_AFTER_S = 4.0
"""A node still running this long [s] after SIGINT/SIGTERM prints every thread's stack to stderr
(its log): the replay runner terminates a node that has not stopped after 5 s, and this says
where it was stuck."""


class StopEvent(threading.Event):
    """Set by the first SIGINT/SIGTERM; ``signal_name`` says which one ("SIGINT")."""

    def __init__(self) -> None:
        super().__init__()
        self.signal_name: str | None = None


def init_ros(args: list[str] | None = None) -> StopEvent:
    """``rclpy.init`` without rclpy's signal handlers; returns the event SIGINT/SIGTERM set."""
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    stop = StopEvent()

    def on_signal(signum: int, _frame) -> None:
        if not stop.is_set():
            stop.signal_name = signal.Signals(signum).name
            faulthandler.dump_traceback_later(STUCK_AFTER_S, exit=False)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    return stop


def read_only_parameters(node, what: str) -> None:
    """Refuse every parameter change on ``node`` at run time: its parameters configure devices
    and solvers once, at start. ``what`` names them in the refusal ("driver parameters")."""
    from rcl_interfaces.msg import SetParametersResult

    def refuse(params) -> SetParametersResult:
        names = ", ".join(p.name for p in params)
        return SetParametersResult(
            successful=False, reason=f"{what} are read at start; restart to change {names}"
        )

    node.add_on_set_parameters_callback(refuse)


def spin_until(
    executor, stop: threading.Event, done: Callable[[], bool] | None = None, period: float = 0.1
) -> None:
    """Spin ``executor`` until ``stop`` is set, ``done()`` is true or the context is shut down."""
    while not stop.is_set() and rclpy.ok() and not (done is not None and done()):
        executor.spin_once(timeout_sec=period)


def next_due(due: float, now: float, period: float) -> float:
    """The next time [s] of a fixed schedule of ``period`` [s] whose slot ``due`` was reached at
    ``now``: one period after the slot, so a late wake-up does not push the later ones back, or
    one period after ``now`` when more than a period behind (the schedule restarts instead of
    bursting to catch up)."""
    return (due if now - due < period else now) + period


__all__ = ["StopEvent", "init_ros", "next_due", "read_only_parameters", "spin_until"]
