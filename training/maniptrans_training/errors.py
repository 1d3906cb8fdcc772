"""The package's one root exception."""

from __future__ import annotations


class TrainingError(ValueError):
    """Bad input or an impossible request in maniptrans_training; the message names the culprit."""
