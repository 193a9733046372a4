"""The bounded decoder of run outputs (evaluation/decoding.py): plain data round-trips, on the
fast path and the bounded one alike; anything else, and anything too costly, is refused fast."""

import pickle
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation import decoding
from evaluation.decoding import UnsafeOutput, decode_output

HASH_MODULUS = 2**61 - 1  # ints this far apart share a hash


def encode(value: object) -> bytes:
    return pickle.dumps(value, protocol=5)  # as the child does


def both_ways(blob: bytes) -> list[object]:
    """`blob` decoded by decode_output and by the bounded decoder alone."""
    return [decode_output(blob), decoding.Decoder(blob).decode()]


def assert_refused_fast(blob: bytes, reason: str, seconds: float = 5.0) -> None:
    started = time.perf_counter()
    with pytest.raises(UnsafeOutput, match=reason):
        decode_output(blob)
    assert time.perf_counter() - started < seconds


def frames(*parts: bytes) -> bytes:
    """A protocol-5 pickle of `parts`, opcodes written by hand, as a forger would."""
    return b"\x80\x05" + b"".join(parts) + b"."


def long1(value: int) -> bytes:
    data = pickle.encode_long(value)
    return b"\x8a" + bytes([len(data)]) + data


hashable = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
    | st.binary(),
    lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=4),
    max_leaves=8,
)
plain = st.recursive(
    hashable | st.binary().map(bytearray),
    lambda inner: (st.lists(inner, max_size=6) | st.tuples(inner, inner)
                   | st.dictionaries(hashable, inner, max_size=4) | st.sets(hashable, max_size=4)),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(plain)
def test_plain_data_round_trips(value):
    for decoded in both_ways(encode(value)):
        assert decoded == value
        assert type(decoded) is type(value)


@pytest.mark.parametrize("value", [
    None, True, False, 0, -1, 255, 65535, -(2**31), 2**31, 2**63, -(2**200), 1.5, float("inf"),
    "", "é\U0001f600", "x" * 300, b"", b"\x00" * 300, bytearray(b"ab"), (), (1,), (1, 2),
    (1, 2, 3), (1, 2, 3, 4), [], [1, [2, [3]]], {"a": {1: (2, frozenset({3}))}}, {1, "a", (2,)},
    frozenset(), list(range(5000)), [(i, str(i)) for i in range(3000)], ["ab"] * 2000,
    [[i, i + 1] for i in range(1500)], {i: [i] for i in range(2000)}, set(range(3000)),
])
def test_every_type_round_trips(value):
    for decoded in both_ways(encode(value)):
        assert decoded == value
        assert type(decoded) is type(value)


def test_nan_round_trips():
    for decoded in both_ways(encode([float("nan"), (float("nan"),)])):
        assert decoded[0] != decoded[0]


def test_shared_references_stay_shared():
    inner = [1, 2]
    text = "shared" * 3
    for decoded in both_ways(encode([inner, inner, (inner,), {"k": inner}, text, text])):
        assert decoded[0] is decoded[1] is decoded[2][0] is decoded[3]["k"]
        assert decoded[4] is decoded[5]


def test_recursive_references_round_trip():
    looped = [1]
    looped.append(looped)
    mapping = {}
    mapping["self"] = mapping
    holder = ([],)
    holder[0].append(holder)  # a tuple that holds itself, through a list
    for decoded in both_ways(encode(looped)):
        assert decoded[1] is decoded
    for decoded in both_ways(encode(mapping)):
        assert decoded["self"] is decoded
    for decoded in both_ways(encode(holder)):
        assert decoded[0][0] is decoded


def test_honest_outputs_take_the_fast_path():
    for value in (7, "text", (1, 2.5), list(range(10_000)), ["a", "b"] * 500,
                  [(i, -i) for i in range(1000)], [[1, 2], [3]], [None, True, 1.0]):
        assert decoding.is_flat(encode(value)), value


class Custom:
    pass


class Evil:
    def __reduce__(self):
        return (print, ("pwned",))


@pytest.mark.parametrize(("blob", "reason"), [
    (encode(Custom()), "refused to load .*test_decoding.Custom"),
    (encode([Evil()]), "refused to load builtins.print"),
    (encode(1 + 2j), "refused to load builtins.complex"),
    (encode(range(3)), "refused to load builtins.range"),
    (b"cos\nsystem\n(S'true'\ntR.", "refused to load os.system"),
    (frames(b"N\x85R"), "refused a call"),
    (frames(b"}Nb"), "refused a state"),
    (b"(I1\nP0\n.", "not allowed"),  # text opcodes, a persistent id
    (frames(b"N\x94Q"), "persistent id"),
    (frames(b"C\x02ab\x98"), "buffer"),  # a memoryview
    (frames(b"\x97"), "buffer"),  # out of band
])
def test_anything_but_plain_data_is_refused(blob, reason):
    with pytest.raises(UnsafeOutput, match=reason):
        decode_output(blob)


@pytest.mark.parametrize("blob", [
    b"", b"not a pickle", encode([1, 2, 3])[:-1], encode("abc")[:-2], encode({1: 2})[:8],
    frames(b"\x8c\x10abc"), frames(b"X\xff\xff\xff\x7fab"), frames(b"\x8b\xff\xff\xff\xff"),
    frames(b"K\x01K\x02"), frames(b"("), frames(b"e"), frames(b"K\x01a"), frames(b"h\x05"),
    frames(b"]K\x01s"), frames(b"}K\x01\x90"), frames(b"\x86"), encode(1) + b"trailing",
    b"\x80\x09N.",
])
def test_truncated_or_malformed_input_is_refused(blob):
    with pytest.raises(UnsafeOutput):
        decode_output(blob)


def colliding_ints(count: int) -> list[bytes]:
    return [long1(k * HASH_MODULUS + 7) for k in range(1, count + 1)]


@pytest.mark.parametrize("container", ["set", "dict", "frozenset", "list"])
def test_ints_sharing_a_hash_are_refused(container):
    items = colliding_ints(60_000)
    blob = {
        "set": frames(b"\x8f(", *items, b"\x90"),
        "dict": frames(b"}(", *(item + b"N" for item in items), b"u"),
        "frozenset": frames(b"(", *items, b"\x91"),
        "list": frames(b"](", *items, b"e"),  # a checker may make a set of it
    }[container]
    assert_refused_fast(blob, "share a hash")


def test_a_few_ints_sharing_a_hash_are_plain_data():
    value = {k * HASH_MODULUS + 7 for k in range(decoding.MAX_SHARED_HASH)} | {-1, -2}
    assert decode_output(encode(value)) == value


def test_tuples_sharing_a_hash_are_refused():
    # Pairs of ints that share a hash share theirs: 30 such ints make 900 distinct pairs.
    ints = [item + b"\x94" for item in colliding_ints(30)]  # memo 0 to 29
    pairs = [b"h" + bytes([i]) + b"h" + bytes([j]) + b"\x86" for i in range(30) for j in range(30)]
    assert_refused_fast(frames(b"](", *ints, *pairs, b"e"), "share a hash")


def test_an_empty_set_flood_is_refused_within_its_memory_bound():
    blob = frames(b"(", b"\x8f" * 5_000_000, b"l")
    assert_refused_fast(blob, "more than")


def test_an_opcode_flood_is_refused():
    assert_refused_fast(frames(b"(", b"N" * 10_000_000, b"l"), "opcodes")


def test_deep_nesting_is_refused():
    assert_refused_fast(frames(b")", b"\x85" * 1_000_000), "nested")
    assert_refused_fast(frames(b"]\x94", b"]\x94" * 1000, b"a" * 1000), "nested")
    assert_refused_fast(frames(b"}\x94", b"K\x01}\x94" * 1000, b"s" * 1000), "nested")


def test_nesting_up_to_the_bound_is_plain_data():
    value: object = 0
    for _ in range(decoding.MAX_DEPTH - 1):
        value = (value,)
    assert decode_output(encode(value)) == value


def test_a_shared_tuple_too_costly_to_hash_is_refused():
    # Each tuple holds the last one twice: 2**40 elements to hash, in 300 bytes.
    parts = [b"K\x01\x94"]
    for level in range(1, 41):
        parts.append(b"h" + bytes([level - 1]) + b"h" + bytes([level - 1]) + b"\x86\x94")
    blob = frames(b"\x8f(", *parts, b"\x90")
    assert_refused_fast(blob, "costly to hash")
    assert_refused_fast(frames(*parts, b"\x85"), "costly to hash")  # the checker may hash it
