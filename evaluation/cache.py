"""Generated tests and their answers, cached per problem on disk.

One compact file per problem, keyed by everything the tests depend on, so a worker loads
only the problem it evaluates. Several workers may fill the cache at once: a file lock makes
one of them generate while the others wait, and files appear atomically.
"""

import fcntl
import hashlib
import os
import pickle
import sys
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from evaluation.spec import GENERATOR_VERSION, ProblemSpec
from evaluation.testgen import generate_inputs


@dataclass(frozen=True)
class Case:
    args: bytes  # the argument sequence, pickled once by us, handed to the sandbox as is
    answer: object  # the reference solution's output
    # How long the reference took when the answer was made: only a first guess for hard-kill
    # deadlines, never a time efficiency is measured against (that may be another machine).
    reference_seconds: float

    def input(self) -> object:
        return pickle.loads(self.args)  # bytes we made ourselves


@dataclass(frozen=True)
class Level:
    size: int
    tests: list[Case]


@dataclass(frozen=True)
class ProblemCases:
    key: str
    levels: list[Level]


# Computes the reference's (output, seconds) for one level's argument blobs; raises on failure.
AnswerFunction = Callable[[list[bytes]], list[tuple[object, float]]]


def cache_key(spec: ProblemSpec, seed: int) -> str:
    python = ".".join(map(str, sys.version_info[:2]))
    parts = f"{spec.content_hash()}|{seed}|{GENERATOR_VERSION}|py{python}"
    return f"{spec.index:03d}-{hashlib.sha256(parts.encode()).hexdigest()[:24]}"


def build_tests(spec: ProblemSpec, seed: int, answer: AnswerFunction) -> ProblemCases:
    levels = []
    for generated in generate_inputs(spec, seed):
        blobs = [pickle.dumps(args, protocol=5) for args in generated.inputs]
        answers = answer(blobs)
        tests = [Case(blob, *answer) for blob, answer in zip(blobs, answers, strict=True)]
        levels.append(Level(generated.size, tests))
    return ProblemCases(cache_key(spec, seed), levels)


class CaseCache:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.tests"

    def get(self, spec: ProblemSpec, seed: int, answer: AnswerFunction) -> ProblemCases:
        key = cache_key(spec, seed)
        cached = self._read(key)
        if cached is not None:
            return cached
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / f"{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            cached = self._read(key)  # another worker may have filled it while we waited
            if cached is not None:
                return cached
            tests = build_tests(spec, seed, answer)
            self._write(tests)
            return tests

    def _read(self, key: str) -> ProblemCases | None:
        try:
            data = self.path(key).read_bytes()
        except FileNotFoundError:
            return None
        try:
            cases: ProblemCases = pickle.loads(zlib.decompress(data))  # written by us, under var/
            return cases
        except (zlib.error, pickle.UnpicklingError, EOFError, AttributeError):
            return None  # a damaged or outdated file is regenerated

    def _write(self, tests: ProblemCases) -> None:
        data = zlib.compress(pickle.dumps(tests, protocol=5), 1)
        fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, self.path(tests.key))
