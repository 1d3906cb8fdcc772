"""The one root exception of maniptrans_bringup."""

from __future__ import annotations


class BringupError(RuntimeError):
    """Bringup could not do what was asked; the message names the file, key or node and says
    what was expected and what was found."""


__all__ = ["BringupError"]
