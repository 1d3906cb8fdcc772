"""Driver test fixtures: device counterparts on real transports (pty pairs, loopback TCP)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from driver_counterparts import ModbusHand, NativeHand, PtyBridge, RealManStub


@pytest.fixture
def pty_bridge() -> Iterator[PtyBridge]:
    """A pseudo-terminal pair behaving like one serial cable (no pacing)."""
    bridge = PtyBridge()
    yield bridge
    bridge.close()


@pytest.fixture
def rtu_hand(pty_bridge: PtyBridge) -> Iterator[tuple[ModbusHand, PtyBridge]]:
    """A pymodbus RTU hand on the device end of ``pty_bridge``."""
    hand = ModbusHand(pty_bridge.device_path)
    yield hand, pty_bridge
    hand.close()


@pytest.fixture
def tcp_hand() -> Iterator[ModbusHand]:
    """A pymodbus Modbus TCP hand on 127.0.0.1 (port in ``.tcp_port``)."""
    hand = ModbusHand(None)
    yield hand
    hand.close()


@pytest.fixture
def native_hand(pty_bridge: PtyBridge) -> Iterator[tuple[NativeHand, PtyBridge]]:
    """A native-protocol hand on the device end of ``pty_bridge``."""
    hand = NativeHand(pty_bridge.device_path)
    yield hand, pty_bridge
    hand.close()


@pytest.fixture
def arm_stub() -> Iterator[RealManStub]:
    """A RealMan controller stub on a loopback TCP port (in ``.port``)."""
    stub = RealManStub()
    yield stub
    stub.close()
