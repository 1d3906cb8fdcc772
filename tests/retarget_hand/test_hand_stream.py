"""The node's message checks (pure): names in any order, nothing else accepted."""

from __future__ import annotations

import numpy as np
import pytest

from maniptrans_retarget.hand_description import load_hand
from maniptrans_retarget.hand_errors import HandRetargetError
from maniptrans_retarget.hand_retarget import HandRetargeter
from maniptrans_retarget.hand_stream import HandStream, sim_positions

NAMES = load_hand("left").joint_names


def test_positions_are_reordered_into_the_sim_joint_order():
    order = np.random.default_rng(0).permutation(12)
    values = np.arange(12) * 0.1
    q = sim_positions([NAMES[i] for i in order], [values[i] for i in order], NAMES)
    np.testing.assert_allclose(q, values)


@pytest.mark.parametrize(
    ("names", "positions", "match"),
    [
        (NAMES[:-1], [0.0] * 11, "missing"),
        ([*NAMES[:-1], "R_index_proximal_joint"], [0.0] * 12, "unknown"),
        ([*NAMES, NAMES[0]], [0.0] * 13, "once each"),
        (NAMES, [0.0] * 11, "one position per name"),
        (NAMES, [0.0] * 11 + [float("inf")], "finite"),
    ],
)
def test_wrong_names_lengths_or_values_are_rejected(names, positions, match):
    with pytest.raises(HandRetargetError, match=match):
        sim_positions(names, positions, NAMES)


def test_a_rejected_message_is_counted_and_does_not_move_the_stream():
    stream = HandStream(HandRetargeter(load_hand("left")))
    first = stream.process(NAMES, [0.3] * 12)
    with pytest.raises(HandRetargetError):
        stream.process(NAMES, [float("nan")] * 12)
    assert (stream.accepted, stream.rejected) == (1, 1)
    assert "finite" in stream.last_error
    again = stream.process(NAMES, [0.3] * 12)
    np.testing.assert_allclose(again, first, atol=1e-9)
