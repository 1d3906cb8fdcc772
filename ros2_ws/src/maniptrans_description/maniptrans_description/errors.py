"""The one root exception of maniptrans_description."""

from __future__ import annotations


class DescriptionError(ValueError):
    """A robot-description input was invalid or missing.

    The message names the file, key or argument, what was expected and what was found.
    """
