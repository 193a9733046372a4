"""Decodes a run's pickled output as plain data, within bounds on what decoding may cost.

The bytes come from the sandbox, so a hostile sample can forge them. pickle's C unpickler
with its class lookup refused builds only plain data, but what building it costs is the
forger's to choose: ints sharing one hash (k·(2**61-1)+7) put in one set cost quadratic time
(60,000 of them about 30 s), an EMPTY_SET opcode is one byte that costs 216 bytes, and a
million nested one-element tuples decode in milliseconds, then crash the first `hash()` of
them with a C stack overflow. A memo reference is two bytes, so forty tuples that each hold
the previous one twice hash in 2**40 steps.

So decoding here walks the opcodes itself and refuses, before the cost is paid:
- any opcode that names a class, calls something or makes a buffer (memoryview);
- more than MAX_OPCODES opcodes, an estimated MAX_MEMORY_BYTES, nesting deeper than MAX_DEPTH;
- more than MAX_SHARED_HASH distinct values sharing one hash among set elements, dict keys,
  tuples and big ints, anywhere in the output: the checker may put them in a set, too;
- tuples and big ints whose hashing would take more than MAX_HASH_WORK steps in all.

Outputs of the common flat shapes, which provably build none of that (see FLAT_PICKLE), take
pickle's C unpickler instead: a pure-Python opcode walk costs tens of times more.
Stdlib only, no Django: the worker imports it, and so can anything else.
"""

import gc
import operator
import pickle
import re
import struct
import sys
from itertools import chain, repeat


class UnsafeOutput(Exception):
    """The output is not plain data, or decoding it would cost more than it may."""


MAX_OPCODES = 1 << 19  # 8 x the most an honest output took; a pure-Python opcode costs ~0.5 us
MAX_MEMORY_BYTES = 64 * 1024**2  # 16 x the most an honest output took; plus <= ~100 B an opcode
MAX_DEPTH = 400  # under the worker's recursion limit, which comparing the output meets first
MAX_SHARED_HASH = 32  # honest data has a handful at most (hash(-1) == hash(-2))
MAX_HASH_WORK = 1 << 24  # element hashes computed for tuples and digits hashed for big ints
# Ints this many bytes long or longer can share a hash with a different int (2**61-1 apart).
BIG_INT_BYTES = 8

# Estimated bytes per object and per item of a container, generously rounded up.
LIST_BYTES, TUPLE_BYTES, DICT_BYTES, SET_BYTES, MARK_BYTES = 56, 56, 64, 216, 56
REFERENCE_BYTES, DICT_ITEM_BYTES, SET_ITEM_BYTES = 9, 72, 112

(MARK, STOP, POP, POP_MARK, DUP, BININT, BININT1, BININT2, NONE, BINUNICODE, APPEND, DICT,
 EMPTY_DICT, APPENDS, BINGET, LONG_BINGET, LIST, EMPTY_LIST, BINPUT, LONG_BINPUT, SETITEM,
 TUPLE, EMPTY_TUPLE, SETITEMS, BINFLOAT, BINBYTES, SHORT_BINBYTES) = b"(.012JKMNXad}ehjl]qrst)uGBC"
(PROTO, TUPLE1, TUPLE2, TUPLE3, NEWTRUE, NEWFALSE, LONG1, LONG4, SHORT_BINUNICODE, BINUNICODE8,
 BINBYTES8, EMPTY_SET, ADDITEMS, FROZENSET, MEMOIZE, FRAME, BYTEARRAY8) = (
    0x80, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8B, 0x8C, 0x8D, 0x8E, 0x8F, 0x90, 0x91, 0x94,
    0x95, 0x96)
GLOBAL, STACK_GLOBAL, PERSID, BINPERSID = ord("c"), 0x93, ord("P"), ord("Q")
REFUSED = {
    ord("R"): "a call (REDUCE)", ord("b"): "a state (BUILD)", ord("i"): "an instance (INST)",
    ord("o"): "an instance (OBJ)", 0x81: "an instance (NEWOBJ)", 0x92: "an instance (NEWOBJ_EX)",
    0x82: "an extension (EXT1)", 0x83: "an extension (EXT2)", 0x84: "an extension (EXT4)",
    0x97: "a buffer (NEXT_BUFFER)", 0x98: "a buffer (READONLY_BUFFER)",
}

U16, U32, I32, U64 = (struct.Struct(code) for code in ("<H", "<I", "<i", "<Q"))
DOUBLE = struct.Struct(">d")

# The fast path: an atom (a number, None, a bool or a short string), a tuple of atoms, or a
# list of atoms, tuples of atoms and lists of atoms. Each atom's argument has a size its first
# bytes give, so the pattern parses such a pickle exactly: what it accepts holds no hash
# container or int that can share a hash (7 bytes at most), costs at most LIST_BYTES +
# REFERENCE_BYTES a byte (an empty inner list), and its memo references, only allowed in the
# outer list, can only be to the list itself or what it holds. A tuple opcode takes the items
# before it, whatever they are (the C unpickler only keeps it from crossing a MARK), so
# `flat_value_safe` checks once they are built that each tuple holds atoms alone, and that no
# two share a hash: a checker may put them in a set.
# A short string's length, in one byte, picks the one branch that can match: re skips a branch
# at its first literal.
SHORT_TEXT = (rb"\x8c(?:" + rb"|".join(re.escape(bytes([size])) + rb".{%d}" % size
                                   for size in range(256)) + rb")\x94?")
ATOM = (rb"(?:K.|M..|J....|G.{8}|N|\x88|\x89|\x8a\x00|\x8a\x01.|\x8a\x02..|\x8a\x03...|"
        rb"\x8a\x04.{4}|\x8a\x05.{5}|\x8a\x06.{6}|\x8a\x07.{7}|" + SHORT_TEXT + rb")")
ATOM_TYPES = frozenset((int, float, str, bool, type(None)))
FRAMING = rb"\x95.{8}"
ATOM_OR_TUPLE = (rb"(?:" + ATOM + rb"{1,3}[\x85-\x87]\x94?|" + ATOM + rb"|\)|\(" + ATOM
                 + rb"*t\x94?)")
INNER_LIST = (rb"\]\x94?(?:" + FRAMING + rb"|\((?:" + ATOM + rb"|" + FRAMING + rb")*e|"
              + ATOM + rb"a)*")
ITEM = (rb"(?:" + ATOM + rb"|[\x85-\x87]\x94?|\)|\(" + ATOM + rb"*t\x94?|" + INNER_LIST
        + rb"|h.|j....)")
OUTER_LIST = (rb"\]\x94?(?:" + FRAMING + rb"|\((?:" + ITEM + rb"|" + FRAMING + rb")*e|" + ITEM
              + rb"a)*")
FLAT_PICKLE = re.compile(rb"\x80[\x02-\x05](?:" + FRAMING + rb")?(?:" + ATOM_OR_TUPLE + rb"|"
                         + OUTER_LIST + rb")\.", re.DOTALL)
FLAT_MAX_BYTES = MAX_MEMORY_BYTES // (LIST_BYTES + REFERENCE_BYTES)


def decode_output(blob: bytes) -> object:
    """The child's pickled output as plain data; raises UnsafeOutput for anything else.

    Builds only None, bool, int, float, str, bytes, bytearray, list, tuple, dict, set and
    frozenset (shared and recursive references included), within the bounds above.
    """
    try:
        if is_flat(blob):
            value = pickle.loads(blob)  # no opcode FLAT_PICKLE accepts can name a class
            if flat_value_safe(value):
                return value
        collecting = gc.isenabled()
        gc.disable()  # every container we make would trigger collections, for nothing to free
        try:
            return Decoder(bytes(blob)).decode()
        finally:
            if collecting:
                gc.enable()
    except UnsafeOutput:
        raise
    except Exception as exc:  # truncated or malformed; RecursionError cannot happen here
        raise UnsafeOutput(f"undecodable output ({type(exc).__name__})") from None


def is_flat(blob: bytes) -> bool:
    """Whether the C unpickler may decode `blob` unbounded: see FLAT_PICKLE."""
    return len(blob) <= FLAT_MAX_BYTES and FLAT_PICKLE.fullmatch(blob) is not None


def flat_value_safe(value: object) -> bool:
    """Whether a value FLAT_PICKLE accepted holds tuples of atoms alone, none sharing a hash
    with another. When not, the Decoder tells whether the value is to be refused."""
    if type(value) is tuple:
        return set(map(type, value)) <= ATOM_TYPES
    if type(value) is not list or tuple not in set(map(type, value)):
        return True
    tuples = [item for item in value if type(item) is tuple]
    if not set(map(type, chain.from_iterable(tuples))) <= ATOM_TYPES:
        return False
    hashes = list(map(hash, tuples))
    firsts = dict(zip(hashes, tuples, strict=True))  # one tuple per hash
    return all(map(operator.eq, map(firsts.__getitem__, hashes), tuples))


class Decoder:
    """One output's decoding: pickle's stack machine over the opcodes that build plain data,
    with the cost of what it builds counted as it goes."""

    def __init__(self, blob: bytes) -> None:
        self.blob = blob
        self.memory = 0
        self.hash_work = 0
        # Per container (by id; `keep` holds them all, so no id is reused): its nesting depth,
        # and for tuples, frozensets and big ints the steps hashing it takes.
        self.depths: dict[int, int] = {}
        self.weights: dict[int, int] = {}
        self.keep: list[object] = []
        # Per hash, the first value seen with it, and once another shares it, all of them.
        self.firsts: dict[int, object] = {}
        self.shared: dict[int, list[object]] = {}

    def decode(self) -> object:  # noqa: C901, PLR0912, PLR0915 - one loop, for speed
        blob, end = self.blob, len(self.blob)
        stack: list[object] = []
        metastack: list[list[object]] = []
        memo: dict[int, object] = {}
        push = stack.append
        pos = 0
        for _ in range(MAX_OPCODES):
            op = blob[pos]
            pos += 1
            if op == BININT1:
                push(blob[pos])
                pos += 1
            elif op == MEMOIZE:
                memo[len(memo)] = stack[-1]
            elif op == SHORT_BINUNICODE:
                size = blob[pos]
                push(self.text(pos + 1, size))
                pos += 1 + size
            elif op == BININT2:
                push(U16.unpack_from(blob, pos)[0])
                pos += 2
            elif op == BININT:
                push(I32.unpack_from(blob, pos)[0])
                pos += 4
            elif op == BINFLOAT:
                push(DOUBLE.unpack_from(blob, pos)[0])
                pos += 8
            elif op == MARK:
                self.spend(MARK_BYTES)
                metastack.append(stack)
                stack = []
                push = stack.append
            elif op == APPENDS:
                items = stack
                stack = metastack.pop()
                push = stack.append
                self.extend(stack[-1], items)
            elif op == APPEND:
                self.extend(stack[-2], [stack.pop()])
            elif op == BINGET:
                push(memo[blob[pos]])
                pos += 1
            elif op == LONG_BINGET:
                push(memo[U32.unpack_from(blob, pos)[0]])
                pos += 4
            elif op == EMPTY_LIST:
                push(self.container([], LIST_BYTES))
            elif op in (TUPLE1, TUPLE2, TUPLE3):
                size = op - TUPLE1 + 1
                if len(stack) < size:
                    raise UnsafeOutput("undecodable output (stack underflow)")
                items = stack[-size:]
                del stack[-size:]
                push(self.tuple(items))
            elif op == TUPLE:
                items = stack
                stack = metastack.pop()
                push = stack.append
                push(self.tuple(items))
            elif op == EMPTY_TUPLE:
                push(())
            elif op in (NONE, NEWTRUE, NEWFALSE):
                push(None if op == NONE else op == NEWTRUE)
            elif op == BINPUT:
                memo[blob[pos]] = stack[-1]
                pos += 1
            elif op == LONG_BINPUT:
                memo[U32.unpack_from(blob, pos)[0]] = stack[-1]
                pos += 4
            elif op == SETITEMS or op == SETITEM:
                if op == SETITEMS:
                    items = stack
                    stack = metastack.pop()
                    push = stack.append
                else:
                    items = stack[-2:]
                    del stack[-2:]
                self.set_items(stack[-1], items)
            elif op == EMPTY_DICT:
                push(self.container({}, DICT_BYTES))
            elif op == ADDITEMS:
                items = stack
                stack = metastack.pop()
                push = stack.append
                self.add_items(stack[-1], items)
            elif op == EMPTY_SET:
                push(self.container(set(), SET_BYTES))
            elif op == FROZENSET:
                items = stack
                stack = metastack.pop()
                push = stack.append
                push(self.frozenset(items))
            elif op == LIST or op == DICT:
                items = stack
                stack = metastack.pop()
                push = stack.append
                if op == LIST:
                    push(self.extend(self.container([], LIST_BYTES), items))
                else:
                    push(self.set_items(self.container({}, DICT_BYTES), items))
            elif op in (LONG1, LONG4):
                if op == LONG1:
                    size = blob[pos]
                    pos += 1
                else:
                    size = I32.unpack_from(blob, pos)[0]
                    pos += 4
                push(self.long(pos, size))
                pos += size
            elif op in (BINUNICODE, BINUNICODE8):
                sizes = U32 if op == BINUNICODE else U64
                size = sizes.unpack_from(blob, pos)[0]
                pos += sizes.size
                push(self.text(pos, size))
                pos += size
            elif op in (SHORT_BINBYTES, BINBYTES, BINBYTES8, BYTEARRAY8):
                if op == SHORT_BINBYTES:
                    size, pos = blob[pos], pos + 1
                else:
                    sizes = U32 if op == BINBYTES else U64
                    size = sizes.unpack_from(blob, pos)[0]
                    pos += sizes.size
                data = self.raw(pos, size)
                push(bytearray(data) if op == BYTEARRAY8 else data)
                pos += size
            elif op == POP:
                if stack:
                    stack.pop()
                else:
                    stack = metastack.pop()
                    push = stack.append
            elif op == POP_MARK:
                stack = metastack.pop()
                push = stack.append
            elif op == DUP:
                push(stack[-1])
            elif op == FRAME:
                pos += 8  # frames only group opcodes for reading; we hold them all already
            elif op == PROTO:
                if blob[pos] > pickle.HIGHEST_PROTOCOL:
                    raise UnsafeOutput(f"unsupported pickle protocol {blob[pos]}")
                pos += 1
            elif op == STOP:
                if pos != end or metastack or len(stack) != 1:
                    raise UnsafeOutput("undecodable output (not one whole pickle)")
                return stack[0]
            else:
                raise UnsafeOutput(refusal(op, stack, blob, pos))
        raise UnsafeOutput(f"output of more than {MAX_OPCODES} opcodes")

    def spend(self, size: int) -> None:
        self.memory += size
        if self.memory > MAX_MEMORY_BYTES:
            raise UnsafeOutput(f"output would take more than {MAX_MEMORY_BYTES} bytes")

    def raw(self, pos: int, size: int) -> bytes:
        if pos + size > len(self.blob):
            raise UnsafeOutput("undecodable output (truncated)")
        self.spend(size + 64)
        return self.blob[pos:pos + size]

    def text(self, pos: int, size: int) -> str:
        value = str(self.raw(pos, size), "utf-8", "surrogatepass")
        self.spend(sys.getsizeof(value) - size)  # up to four bytes a character
        return value

    def long(self, pos: int, size: int) -> int:
        if size < 0:
            raise UnsafeOutput("undecodable output (negative length)")
        value = int.from_bytes(self.raw(pos, size), "little", signed=True)
        if size >= BIG_INT_BYTES:
            self.weights[id(value)] = 1 + size // 8  # hashing it reads every digit
            self.keep.append(value)
            self.register(value)
        return value

    def container(self, value: object, size: int) -> object:
        self.spend(size)
        self.depths[id(value)] = 1
        self.keep.append(value)
        return value

    def nest(self, value: object, items: list[object]) -> int:
        """Records that `value` now holds `items`: its depth; raises when too deep."""
        depths = self.depths
        depth = 1 + max(map(depths.get, map(id, items), repeat(0)), default=0)
        if depth > MAX_DEPTH:
            raise UnsafeOutput(f"output nested more than {MAX_DEPTH} deep")
        if depth > depths[id(value)]:
            depths[id(value)] = depth
        return depth

    def extend(self, target: object, items: list[object]) -> list[object]:
        if type(target) is not list:
            raise UnsafeOutput("undecodable output (items appended to a non-list)")
        self.spend(REFERENCE_BYTES * len(items))
        self.nest(target, items)
        target.extend(items)
        return target

    def tuple(self, items: list[object]) -> tuple[object, ...]:
        value = tuple(items)
        self.container(value, TUPLE_BYTES + REFERENCE_BYTES * len(items))
        self.nest(value, items)
        weights = self.weights
        weight = sum(map(weights.get, map(id, items), repeat(1)))
        weights[id(value)] = weight + 1
        self.register(value)
        return value

    def set_items(self, target: object, items: list[object]) -> dict[object, object]:
        if type(target) is not dict or len(items) % 2:
            raise UnsafeOutput("undecodable output (bad dict items)")
        self.spend(DICT_ITEM_BYTES * (len(items) // 2))
        self.nest(target, items)
        keys = items[::2]
        for key in keys:
            self.register(key)
        target.update(zip(keys, items[1::2], strict=True))
        return target

    def add_items(self, target: object, items: list[object]) -> None:
        if type(target) is not set:
            raise UnsafeOutput("undecodable output (items added to a non-set)")
        self.spend(SET_ITEM_BYTES * len(items))
        self.nest(target, items)
        for item in items:
            self.register(item)
        target.update(items)

    def frozenset(self, items: list[object]) -> frozenset[object]:
        self.spend(SET_BYTES + SET_ITEM_BYTES * len(items))
        for item in items:
            self.register(item)
        value = frozenset(items)
        self.depths[id(value)] = 0
        self.keep.append(value)
        self.nest(value, items)
        self.register(value)  # hashes it once, and a frozenset keeps its hash
        return value

    def register(self, value: object) -> None:
        """Notes `value`'s hash: refuses one that too many distinct values share, or a
        value whose hashing (twice: here, then by the set or dict) exceeds the work left."""
        weight = self.weights.get(id(value), 1)
        self.hash_work += 2 * weight
        if self.hash_work > MAX_HASH_WORK:
            raise UnsafeOutput("output too costly to hash")
        try:
            key = hash(value)
        except TypeError:
            if type(value) is tuple:
                return  # holds a list somewhere: never a key, so no cost to bound
            raise UnsafeOutput("undecodable output (unhashable key)") from None
        first = self.firsts.setdefault(key, value)
        if first is value or first == value:
            return
        shared = self.shared.setdefault(key, [first])
        if any(other is value or other == value for other in shared):
            return
        self.hash_work += weight * len(shared)  # the comparisons just made
        shared.append(value)
        if len(shared) > MAX_SHARED_HASH:
            raise UnsafeOutput(f"more than {MAX_SHARED_HASH} distinct values share a hash")


def refusal(op: int, stack: list[object], blob: bytes, pos: int) -> str:
    """Why opcode `op` is refused, naming the class it would load where there is one."""
    if op == GLOBAL:
        module, name = (blob[pos:pos + 256].split(b"\n") + [b"", b""])[:2]
        return f"refused to load {module.decode(errors='replace')}.{name.decode(errors='replace')}"
    if op == STACK_GLOBAL:
        names = [item if isinstance(item, str) else "?" for item in stack[-2:]]
        return f"refused to load {'.'.join(names)}"
    if op in (PERSID, BINPERSID):
        return "refused a persistent id"
    if op in REFUSED:
        return f"refused {REFUSED[op]}"
    return f"undecodable output (opcode {op:#04x} not allowed)"
