"""Left and right: one code path with a ``side`` parameter."""

from __future__ import annotations

from typing import Literal

from .errors import DescriptionError

Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")


def check_side(side: object) -> Side:
    """``side`` unchanged if it is "left" or "right", else a DescriptionError."""
    if side not in SIDES:
        raise DescriptionError(f"side must be 'left' or 'right', found {side!r}")
    return side  # type: ignore[return-value]


def hand_prefix(side: Side) -> str:
    """The Inspire joint/link name prefix of a side: "L" or "R"."""
    return "L" if check_side(side) == "left" else "R"
