"""`manage.py evaluate` as a researcher runs it: metrics on stdout, one line for bad files."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import make_adder_problem, solution, wrong_solution
from tests.workers import database_url, enamel_json

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(settings.BASE_DIR)


def evaluate(*args: str, cache: Path) -> subprocess.CompletedProcess:
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": database_url(),
        "TEST_CACHE_DIR": str(cache),
        "EFFBOARD_VAR_DIR": str(cache),
    }
    return subprocess.run(
        [sys.executable, "manage.py", "evaluate", *args], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=300,
    )


@pytest.fixture
def problems():
    return [make_adder_problem(i) for i in (1, 2, 3)]  # not 0: x - 0 would be right


def test_metrics_on_stdout_and_the_full_document_in_output(problems, tmp_path):
    samples = tmp_path / "samples.json"
    samples.write_bytes(enamel_json({1: [solution(1), wrong_solution(1)], 2: [solution(2)] * 2}))
    out = tmp_path / "out.json"
    done = evaluate(str(samples), "--name", "tiny", "--output", str(out), cache=tmp_path)
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    # One of two correct; both correct; the third problem not covered counts as failed.
    assert metrics["pass@1"] == pytest.approx((0.5 + 1 + 0) / 3)
    assert "1 problems not covered by the file count as failed" in done.stderr
    document = json.loads(out.read_text())
    assert document["metrics"] == metrics
    assert set(document) >= {"metrics", "settings", "environment", "problems"}
    assert document["environment"]["isolation"] in {"bubblewrap", "rlimits"}
    statuses = [s["status"] for s in document["problems"][problems[0].task_id]["samples"]]
    assert statuses == ["passed", "wrong_answer"]  # in the file's order
    sample = document["problems"][problems[1].task_id]["samples"][0]
    assert set(sample) >= {"status", "efficiency", "levels", "peak_memory"}


def test_problems_option_restricts_the_set(problems, tmp_path):
    samples = tmp_path / "samples.json"
    samples.write_bytes(enamel_json({1: [solution(1)]}))
    done = evaluate(str(samples), "--name", "x", "--problems", str(problems[0].index),
                    cache=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["pass@1"] == 1.0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "file is empty"),
        (b"{not json", "not valid JSON"),
        (b'{"task_id": 3}', "task_id"),
        (b'[null, ["def f(): pass"], [42]]', "entry 2, sample 0"),
        (b'{"task_id": "HumanEval/999", "solution": "x"}\n', "HumanEval/999: unknown task id"),
    ],
)
def test_bad_files_get_one_line(problems, tmp_path, content, expected):
    samples = tmp_path / "bad.json"
    samples.write_bytes(content)
    done = evaluate(str(samples), "--name", "x", cache=tmp_path)
    assert done.returncode != 0
    message = done.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert expected in message and "bad.json" in message


def test_missing_file_and_bad_options_get_one_line(problems, tmp_path):
    for args, expected in [
        ((str(tmp_path / "absent.json"), "--name", "x"), "cannot read"),
        ((str(tmp_path / "absent.json"), "--name", "x", "--problems", "a,b"), "--problems"),
        ((str(tmp_path / "absent.json"), "--name", "x", "--problems", "150"),
         "no active problem with index 150"),
    ]:
        done = evaluate(*args, cache=tmp_path)
        assert done.returncode != 0 and "Traceback" not in done.stderr
        assert expected in done.stderr.strip().splitlines()[-1]


def test_bad_output_and_problem_options_get_one_line_before_evaluating(problems, tmp_path):
    samples = tmp_path / "samples.json"
    samples.write_bytes(enamel_json({1: [solution(1)]}))
    for args, expected in [
        # Both once failed with a traceback, after the whole evaluation.
        (("--output", str(tmp_path)), f"--output: {tmp_path}: is a folder"),
        (("--output", str(tmp_path / "absent" / "out.json")),
         f"--output: {tmp_path / 'absent'}: no such folder"),
        # Once "no active problems: run `manage.py import_enamel` first".
        (("--problems", ","), "--problems: expected indices like 0,3,7, got ','"),
        # int() reads an Arabic-Indic digit as 1.
        (("--problems", "\u0661"), "--problems: expected indices like 0,3,7, got '\u0661'"),
    ]:
        done = evaluate(str(samples), "--name", "x", *args, cache=tmp_path)
        assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.strip().splitlines() == [f"CommandError: {expected}"]
        assert done.stdout == ""  # nothing was evaluated
