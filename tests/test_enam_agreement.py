"""Per-sample verdicts equal ENAMEL's own evaluator's on the shared sample sets (a subset)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from evaluation.cache import CaseCache
from evaluation.engine import evaluate_problem
from evaluation.spec import EvalSettings
from tests.enamel_data import enamel_specs

# Includes problems where a canonical solution fails ENAMEL's tests (22, 32, 44, 91).
PROBLEMS = [0, 22, 32, 44, 91, 150]
SETS = ["humaneval-canonical", "humanevalplus-canonical", "enamel-references"]


@pytest.fixture(scope="module")
def enam_tests(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("enam-tests")


@pytest.fixture(scope="module")
def our_cache(tmp_path_factory) -> CaseCache:
    return CaseCache(tmp_path_factory.mktemp("cases"))


@pytest.mark.parametrize("sample_set", SETS)
def test_verdicts_equal_enams(enamel_dir, enam_tests, our_cache, tmp_path, sample_set):
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
        ours = evaluate_problem(specs[index], samples[index], EvalSettings(), our_cache)
        assert [s.correct for s in ours.samples] == theirs[str(index)], (
            f"HumanEval/{index}: {[s.status + ' ' + s.error for s in ours.samples]}"
        )
