"""Per-sample verdicts equal ENAMEL's own evaluator's on the shared sample sets (a subset)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from evaluation.cache import CaseCache
from evaluation.engine import evaluate_problem
from evaluation.sandbox import Sandbox
from evaluation.spec import EvalSettings
from tests.enamel_data import enamel_specs

# Includes problems where a canonical solution fails ENAMEL's tests (22, 32, 44, 91).
PROBLEMS = [0, 22, 32, 44, 91, 150]
SETS = ["humaneval-canonical", "humanevalplus-canonical", "enamel-references"]


@pytest.fixture(scope="module")
def enam_tests(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("enam-tests")


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(memory_bytes=EvalSettings().memory_bytes) as box:
        yield box


@pytest.fixture(scope="module")
def our_cache(tmp_path_factory) -> CaseCache:
    return CaseCache(tmp_path_factory.mktemp("cases"))


@pytest.mark.parametrize("sample_set", SETS)
def test_verdicts_equal_enams(enamel_dir, enam_tests, our_cache, sandbox, tmp_path, sample_set):
    samples_file = enamel_dir / "samples" / f"{sample_set}.json"
    out = tmp_path / "enam.json"
    subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "bench" / "enam_eval.py"),
         str(samples_file), "--csv", str(enamel_dir / "enamel.csv"),
         "--problems", ",".join(map(str, PROBLEMS)), "--tests-cache", str(enam_tests),
         "--output", str(out)],
        check=True, capture_output=True, timeout=600,
    )
    theirs = json.loads(out.read_text())["passes"]
    specs = enamel_specs(enamel_dir)
    samples = json.loads(samples_file.read_text())
    for index in PROBLEMS:
        ours = evaluate_problem(specs[index], samples[index], EvalSettings(), our_cache,
                                sandbox=sandbox)
        assert [s.correct for s in ours.samples] == theirs[str(index)], (
            f"HumanEval/{index}: {[s.status + ' ' + s.error for s in ours.samples]}"
        )


# Where Effboard once differed from ENAMEL: ENAMEL runs the whole program under its alarm of
# T + tolerance, so slow module code is a timeout; its exec scope sets print and input to
# None, so calling either fails; and it runs the module code afresh for every call, so module
# globals never carry from one test to the next. Last, a rule that has not differed: that
# scope gives `time`, so a program may use it without importing it.
def differing_samples(canonical: str) -> list[str]:
    """The canonical solution of HumanEval/0, then variants that differed, in that order, then
    one using `time` unimported."""
    body = "    for idx, elem in enumerate(numbers):\n"
    slow_module_code = canonical + "import time\ntime.sleep(1.0)\n"
    printing = canonical + "print('hello')\n"
    reading = canonical + "_ = input()\n"
    printing_in_the_call = canonical.replace(body, "    print(len(numbers))\n" + body)
    # Counts its calls in a module global: a second call in the same scope answers None.
    counting = canonical.replace(
        body, "    global calls\n    calls += 1\n    if calls > 1:\n        return None\n" + body
    ) + "calls = 0\n"
    unimported_time = canonical + "started = time.perf_counter()\n"
    return [canonical, slow_module_code, printing, reading, printing_in_the_call, counting,
            unimported_time]


def test_the_verdicts_that_once_differed_equal_enams(enamel_dir, enam_tests, our_cache, sandbox,
                                                     tmp_path):
    canonical = json.loads((enamel_dir / "samples" / "humaneval-canonical.json").read_text())[0][0]
    codes = differing_samples(canonical)
    assert all(code != canonical for code in codes[1:])
    samples_file = tmp_path / "samples.json"
    samples_file.write_text(json.dumps({"0": codes}))
    out = tmp_path / "enam.json"
    subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "bench" / "enam_eval.py"),
         str(samples_file), "--csv", str(enamel_dir / "enamel.csv"), "--problems", "0",
         "--tests-cache", str(enam_tests), "--output", str(out)],
        check=True, capture_output=True, timeout=600,
    )
    theirs = json.loads(out.read_text())["passes"]["0"]
    ours = evaluate_problem(enamel_specs(enamel_dir)[0], codes, EvalSettings(), our_cache,
                            sandbox=sandbox)
    assert theirs == [True, False, False, False, False, True, True]
    assert [sample.correct for sample in ours.samples] == theirs, [
        f"{sample.status} {sample.error}" for sample in ours.samples
    ]
