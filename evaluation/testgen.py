"""Test inputs generated exactly as ENAMEL does: same seeds, same order, same scope.

The generator is problem data (curated by admins), but a broken one must not hang or crash
the worker, so generation runs in a child interpreter with a time limit. Run as a script,
this module is that child: it reads a JSON request on stdin and writes a pickle on stdout.
"""

import json
import os
import pickle
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from evaluation.spec import ProblemSpec

GENERATION_TIMEOUT_SECONDS = 600


class GenerationError(Exception):
    """The input generator failed; the message is one line."""


@dataclass(frozen=True)
class GeneratedLevel:
    size: int
    inputs: list[object]  # one argument sequence per test, in ENAMEL's order


def test_seed(base_seed: int, index: int, first_test_of_level: int, test: int) -> int:
    """ENAMEL seeds test `test` of a level with seed ^ i ^ (s + k), s = tests of earlier levels."""
    return base_seed ^ index ^ (first_test_of_level + test)


def generate_inputs(spec: ProblemSpec, seed: int) -> list[GeneratedLevel]:
    request = {
        "prompt": spec.prompt,
        "generator": spec.input_generator,
        "index": spec.index,
        "seed": seed,
        "levels": list(zip(spec.level_sizes, spec.tests_per_level, strict=True)),
    }
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "evaluation.testgen"],
            input=json.dumps(request).encode(),
            # Some generators iterate over sets of strings: fix the hash seed so the same
            # tests come out in every process (ENAMEL's own are only fixed per process).
            env={**os.environ, "PYTHONHASHSEED": "0"},
            capture_output=True,
            timeout=GENERATION_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GenerationError(
            f"{spec.task_id}: input generator ran over {GENERATION_TIMEOUT_SECONDS} s"
        ) from None
    if completed.returncode != 0:
        lines = completed.stderr.decode(errors="replace").strip().splitlines()
        raise GenerationError(f"{spec.task_id}: {lines[-1] if lines else 'generator crashed'}")
    levels = pickle.loads(completed.stdout)  # our own child's output
    return [GeneratedLevel(size, inputs) for size, inputs in levels]


def _generate(request: dict[str, Any]) -> list[tuple[int, list[object]]]:
    import importlib
    import random
    import time

    # Not `from enam import datautils`: the package rebinds that name to a dict.
    datautils = importlib.import_module("enam.datautils")

    levels = []
    first_test = 0
    for level, (size, count) in enumerate(request["levels"]):
        inputs = []
        for test in range(count):
            # The same scope ENAMEL gives the generator: `time`, `random`, `string` and
            # enam.datautils' helpers; the prompt runs first for its imports.
            scope = dict(vars(datautils), time=time)
            exec(request["prompt"] + "\n" + request["generator"], scope)  # noqa: S102
            random.seed(test_seed(request["seed"], request["index"], first_test, test))
            try:
                args = scope["generate_input"](size=size, lid=level, cid=test)
            except Exception as exc:
                raise GenerationError(
                    f"level {level} test {test}: {type(exc).__name__}: {exc}"[:300]
                ) from None
            inputs.append(args)  # ENAMEL calls entry_point(*args): any iterable of arguments
        levels.append((size, inputs))
        first_test += count
    return levels


def main() -> None:
    try:
        levels = _generate(json.loads(sys.stdin.buffer.read()))
    except GenerationError as exc:
        sys.exit(str(exc))
    except Exception as exc:
        sys.exit(f"{type(exc).__name__}: {exc}"[:300])
    sys.stdout.buffer.write(pickle.dumps(levels, protocol=5))


if __name__ == "__main__":
    main()
