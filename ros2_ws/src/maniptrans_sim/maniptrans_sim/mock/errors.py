"""The one root exception of the sim-mocked bridge."""

from __future__ import annotations


class MockRigError(RuntimeError):
    """A mock-rig configuration or runtime error; the message names what was expected and found."""
