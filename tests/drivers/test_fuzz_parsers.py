"""Every protocol parser survives ≥ 10 000 random and mutated frames, raising only DriverError.

Hypothesis draws batches of (selector, material) pairs; each pair becomes one frame: either the
material itself (random bytes) or a valid frame built from the selector, mutated by a recipe read
from the material (bytes flipped, inserted, deleted, the tail cut). A valid frame that escaped
mutation must still decode to what was encoded. Batching keeps 10 000 frames per parser within a
few seconds on a small machine; every test asserts the count it reached.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realman_inspire_driver.codecs import inspire_native, modbus_pdu, modbus_rtu, modbus_tcp
from realman_inspire_driver.codecs import realman_json as rj
from realman_inspire_driver.errors import DriverError
from realman_inspire_driver.inspire import registers as regs

FRAMES_PER_PARSER = 10_000
BATCH = 25
BATCHES = settings(
    max_examples=FRAMES_PER_PARSER // BATCH,
    deadline=None,
    database=None,
    suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large),
)
ITEMS = st.lists(
    st.tuples(st.integers(0, 2**20), st.binary(max_size=48)), min_size=BATCH, max_size=BATCH
)


def mutate(frame: bytes, recipe: bytes) -> bytes:
    """Apply ``recipe`` (triples of op, position, value) to ``frame``; an empty recipe keeps it."""
    data = bytearray(frame)
    for i in range(0, len(recipe) - 2, 3):
        op, pos, value = recipe[i] % 4, recipe[i + 1], recipe[i + 2]
        if op == 0 and data:
            data[pos % len(data)] ^= value or 1
        elif op == 1:
            data.insert(pos % (len(data) + 1), value)
        elif op == 2 and data:
            del data[pos % len(data)]
        elif op == 3 and data:
            del data[pos % len(data) :]
    return bytes(data)


def run_batches(case: Callable[[int, bytes], None]) -> int:
    """Run ``case(selector, material)`` over every drawn item; returns the number of frames."""
    count = [0]

    @BATCHES
    @given(ITEMS)
    def fuzz(items: list[tuple[int, bytes]]) -> None:
        for selector, material in items:
            case(selector, material)
            count[0] += 1

    fuzz()
    return count[0]


def words_from(material: bytes, n: int) -> list[int]:
    padded = material[: 2 * n].ljust(2 * n, b"\x00")
    return list(struct.unpack(f">{n}H", padded))


# --- Modbus RTU -------------------------------------------------------------------------------


def rtu_case(selector: int, material: bytes) -> None:
    array = regs.ARRAYS[selector % len(regs.ARRAYS)]
    slave = 1 + (selector >> 4) % 247
    n = array.n_registers
    if selector >> 12 & 1:
        req = modbus_pdu.read_request(array.address, n)
        words = words_from(material, n)
        body = bytes([slave, 3, 2 * n]) + struct.pack(f">{n}H", *words)
        expected: tuple[int, ...] = tuple(words)
    else:
        req = modbus_pdu.write_multiple_request(array.address, [0] * n)
        body = bytes([slave, 0x10]) + struct.pack(">HH", array.address, n)
        expected = ()
    valid = body + modbus_rtu.crc16(body).to_bytes(2, "little")
    data = material if selector % 3 == 0 else mutate(valid, material[2 * n :])
    try:
        if len(data) >= modbus_rtu.HEAD_LENGTH:
            modbus_rtu.reply_length(req, data[:2])
        got = modbus_rtu.decode_reply(req, slave, data)
    except DriverError:
        assert data != valid, f"a valid frame was refused: {valid.hex(' ')}"
        return
    if data == valid:
        assert got == expected
    if req.function == modbus_pdu.READ_HOLDING:
        regs.from_registers(array, got)


def test_the_rtu_parser_survives_random_and_mutated_frames():
    assert run_batches(rtu_case) >= FRAMES_PER_PARSER


# --- Modbus TCP -------------------------------------------------------------------------------


def tcp_case(selector: int, material: bytes) -> None:
    array = regs.ARRAYS[selector % len(regs.ARRAYS)]
    tid = selector >> 4 & 0xFFFF
    n = array.n_registers
    words = words_from(material, n)
    req = modbus_pdu.read_request(array.address, n)
    pdu = bytes([3, 2 * n]) + struct.pack(f">{n}H", *words)
    valid = struct.pack(">HHHB", tid, 0, len(pdu) + 1, 1) + pdu
    data = material if selector % 3 == 0 else mutate(valid, material[2 * n :])
    try:
        modbus_tcp.decode_header(data[:7])
        got = modbus_tcp.decode_reply(req, tid, 1, data[:7], data[7:])
    except DriverError:
        assert data != valid, f"a valid frame was refused: {valid.hex(' ')}"
        return
    if data == valid:
        assert got == tuple(words)


def test_the_modbus_tcp_parser_survives_random_and_mutated_frames():
    assert run_batches(tcp_case) >= FRAMES_PER_PARSER


# --- Inspire native ---------------------------------------------------------------------------


def native_case(selector: int, material: bytes) -> None:
    array = regs.ARRAYS[selector % len(regs.ARRAYS)]
    hand_id = 1 + (selector >> 4) % 254
    read = bool(selector >> 12 & 1)
    payload = material[: array.n_bytes].ljust(array.n_bytes, b"\x00") if read else b"\x01"
    cmd = inspire_native.CMD_READ if read else inspire_native.CMD_WRITE
    body = bytes([hand_id, len(payload) + 3, cmd]) + array.address.to_bytes(2, "little") + payload
    valid = b"\x90\xeb" + body + bytes([sum(body) & 0xFF])
    data = material if selector % 3 == 0 else mutate(valid, material[array.n_bytes :])
    try:
        if len(data) >= inspire_native.HEAD_LENGTH:
            inspire_native.reply_length(data[:4])
        if read:
            got = inspire_native.decode_read_reply(data, hand_id, array.address, array.n_bytes)
            decoded = regs.from_bytes(array, got)
        else:
            got = inspire_native.decode_write_reply(data, hand_id, array.address)
    except DriverError:
        assert data != valid, f"a valid frame was refused: {valid.hex(' ')}"
        return
    if data == valid:
        assert got == (payload if read else payload[0])
        if read:
            assert regs.to_bytes(array, decoded) == payload


def test_the_native_parser_survives_random_and_mutated_frames():
    assert run_batches(native_case) >= FRAMES_PER_PARSER


# --- RealMan JSON -----------------------------------------------------------------------------

TEMPLATES = (
    {
        "state": "current_arm_state",
        "arm_state": {"joint": [1000] * 7, "pose": [1, 2, 3, 4, 5, 6], "err": [0]},
    },
    {
        "state": "arm_all_state",
        "all_state": {
            "temperature": [30000] * 7,
            "current": [1] * 7,
            "voltage": [48000] * 7,
            "err_flag": [0] * 7,
            "en_flag": [1] * 7,
            "err": [0],
        },
    },
    {"command": "arm_software_info", "Product_version": "RM75-B"},
    {
        "state": "current_trajectory_state",
        "trajectory_state": True,
        "device": 0,
        "trajectory_connect": 0,
    },
    {"command": "set_arm_stop", "arm_stop": True},
)
NASTY = (
    None,
    True,
    0,
    -1,
    2**70,
    1.5,
    1e308,
    "x",
    "",
    [],
    {},
    [1] * 6,
    [1] * 7,
    [1] * 8,
    [True] * 7,
    [1.5] * 7,
    ["1"] * 7,
    [[1]] * 7,
    [None] * 7,
    [10**9] * 7,
    {"joint": [1] * 7},
)


def replace_somewhere(message: dict, path: bytes) -> dict:
    """Copy of ``message`` with one (possibly nested) field replaced by a nasty value."""
    out = json.loads(json.dumps(message))
    node = out
    for b in path[:-1]:
        keys = list(node)
        if not keys:
            break
        key = keys[b % len(keys)]
        if isinstance(node[key], dict) and b & 0x80:
            node = node[key]
            continue
        node[key] = NASTY[path[-1] % len(NASTY)]
        return out
    if node:
        node[list(node)[path[-1] % len(node)]] = NASTY[path[0] % len(NASTY)]
    return out


PARSERS = (
    lambda m: rj.parse_arm_state(m, 7),
    lambda m: rj.parse_all_state(m, 7),
    rj.parse_software_info,
    rj.parse_trajectory_state,
    lambda m: rj.parse_bool(m, "arm_stop"),
    lambda m: rj.parse_push(json.dumps(m).encode(), 7),
    rj.reply_key,
)


def json_line(selector: int, material: bytes) -> bytes:
    template = TEMPLATES[selector % len(TEMPLATES)]
    kind = selector >> 4 & 3
    valid = json.dumps(template).encode() + b"\r\n"
    if kind == 0:
        return material + b"\r\n"
    if kind == 1 and len(material) >= 2:
        return json.dumps(replace_somewhere(template, material[:6])).encode() + b"\r\n"
    return mutate(valid, material)


def test_the_json_framer_and_reply_parsers_survive_random_and_mutated_lines():
    count = [0]

    @BATCHES
    @given(ITEMS, st.integers(1, 64))
    def fuzz(items: list[tuple[int, bytes]], chunk: int) -> None:
        framer = rj.LineFramer(max_line=2048)
        stream = b"".join(json_line(s, m) for s, m in items)
        for i in range(0, len(stream), chunk):
            framer.feed(stream[i : i + chunk])
            while True:
                try:
                    message = framer.next_message()
                except DriverError:
                    continue
                if message is None:
                    break
                for parse in PARSERS:
                    try:
                        parse(message)
                    except DriverError:
                        pass
        count[0] += len(items)

    fuzz()
    assert count[0] >= FRAMES_PER_PARSER


def test_every_template_line_parses_in_any_chunking():
    data = b"".join(json.dumps(t).encode() + b"\r\n" for t in TEMPLATES)
    for chunk in range(1, 40, 3):
        framer = rj.LineFramer()
        for i in range(0, len(data), chunk):
            framer.feed(data[i : i + chunk])
        state = rj.parse_arm_state(framer.next_message(), 7)
        np.testing.assert_allclose(state.q, np.radians([1.0] * 7))
        assert rj.parse_all_state(framer.next_message(), 7).temperature[0] == 30.0
        assert rj.parse_software_info(framer.next_message()).dof == 7
        assert rj.parse_trajectory_state(framer.next_message()).success
        assert rj.parse_bool(framer.next_message(), "arm_stop")
