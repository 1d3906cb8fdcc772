"""A pseudo-terminal standing in for a serial port, reachable under a stable symlink.

The driver opens the slave side by path (``/tmp/maniptrans/<side>_hand`` -> ``/dev/pts/N``) exactly
as it would open ``/dev/ttyUSB0``; the emulator reads and writes the master side. The slave is put
in raw mode at once (no echo, no line editing), and the emulator keeps its own slave descriptor
open so the master never sees a hang-up when the driver closes and reopens the port.
"""

from __future__ import annotations

import contextlib
import os
import tty
from pathlib import Path

from maniptrans_sim.mock.errors import MockRigError


class PtyLink:
    """One pty pair; ``path`` is the symlink (or the slave device when no symlink was asked)."""

    def __init__(self, symlink: Path | str | None = None) -> None:
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self.master, False)
        self.device = os.ttyname(self._slave)
        self.symlink = Path(symlink) if symlink else None
        if self.symlink is not None:
            _replace_symlink(self.symlink, self.device)
        self.path = str(self.symlink or self.device)

    def close(self) -> None:
        """Remove the symlink (if it is still ours) and close both descriptors."""
        if self.symlink is not None:
            with contextlib.suppress(OSError):
                if os.readlink(self.symlink) == self.device:
                    self.symlink.unlink()
        for fd in (self.master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)


def _replace_symlink(link: Path, target: str) -> None:
    """Point ``link`` at ``target``, replacing a stale symlink but never a regular file."""
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.exists() and not link.is_symlink():
        raise MockRigError(f"{link} exists and is not a symlink; refusing to replace it")
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)
