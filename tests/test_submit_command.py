"""`manage.py submit`, `submission_status` and `requeue_stalled` as an operator runs them."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from leaderboard.models import LanguageModel, Submission
from tests.factories import make_adder_problem, solution, wrong_solution
from tests.workers import enamel_json, running_workers, use_test_queue, worker_env

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queue_env(settings, redis_server, tmp_path) -> dict[str, str]:
    return use_test_queue(settings, redis_server, tmp_path)


def test_submit_wait_prints_id_progress_and_metrics(queue_env, tmp_path) -> None:
    for i in range(3):
        make_adder_problem(i)
    path = tmp_path / "samples.json"
    path.write_bytes(enamel_json({0: [solution(0)], 1: [wrong_solution(1)]}))
    out, err = io.StringIO(), io.StringIO()

    with running_workers(1, queue_env, tmp_path):
        call_command("submit", str(path), "--model", "Coder 7B", "--wait", stdout=out, stderr=err)

    submission_id, metrics = out.getvalue().split("\n", 1)
    submission = Submission.objects.get(pk=int(submission_id))
    assert submission.model == LanguageModel.objects.get(name="Coder 7B", slug="coder-7b")
    assert bytes(submission.file.data) == path.read_bytes()
    assert (submission.status, submission.format) == ("done", "enamel-json")
    assert json.loads(metrics) == submission.metrics
    assert submission.metrics["pass@1"] == pytest.approx(1 / 3)
    lines = err.getvalue().splitlines()
    assert lines[0] == "warning: 1 of 3 problems are not in the file and count as failed"
    assert lines[-1].startswith(f"[{'#' * 30}] 2/2 100%")

    status = io.StringIO()
    call_command("submission_status", submission_id, stdout=status)
    assert json.loads(status.getvalue()) == {
        "id": submission.pk, "status": "done", "done": 2, "total": 2, "percent": 100.0,
        "eta_seconds": 0.0, "metrics": submission.metrics, "failure_reason": "",
        "warnings": submission.warnings, "stale": False,
    }


def test_submit_without_wait_leaves_the_work_queued(queue_env, tmp_path) -> None:
    make_adder_problem(0)
    path = tmp_path / "samples.json"
    path.write_bytes(enamel_json({0: [solution(0)]}))
    out = io.StringIO()
    call_command("submit", str(path), "--model", "Coder 7B", stdout=out)

    progress = io.StringIO()
    call_command("submission_status", out.getvalue().strip(), stdout=progress)
    assert json.loads(progress.getvalue()) | {"id": None} == {
        "id": None, "status": "queued", "done": 0, "total": 1, "percent": 0.0,
        "eta_seconds": None, "metrics": {}, "failure_reason": "", "warnings": [],
        "stale": False,
    }
    requeued = io.StringIO()
    call_command("requeue_stalled", stdout=requeued)
    assert requeued.getvalue() == "0 jobs enqueued\n"  # all of it is on the queue already


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'[["def add_0(x): return x"], 3]', "entry 1: must be a list of code samples"),
        (b"", "file is empty"),
        (b'[null, ["def f(): pass"]]', "entry 1, sample 0: HumanEval/1: unknown task id"),
    ],
)
def test_bad_file_is_one_line_and_writes_nothing(queue_env, tmp_path, content, message) -> None:
    make_adder_problem(0)
    path = tmp_path / "samples.json"
    path.write_bytes(content)
    with pytest.raises(CommandError) as error:
        call_command("submit", str(path), "--model", "Coder 7B")
    assert str(error.value).startswith(f"{path}: {message}")
    assert "\n" not in str(error.value)
    assert not Submission.objects.exists()
    assert not LanguageModel.objects.exists()


def test_errors_from_the_command_line_are_one_line(queue_env, tmp_path) -> None:
    make_adder_problem(0)
    path = tmp_path / "samples.json"
    path.write_bytes(b"{not json")
    good = tmp_path / "good.json"
    good.write_bytes(enamel_json({0: [solution(0)]}))
    env = worker_env(settings.RQ_QUEUES["default"]["URL"], tmp_path)
    cases = [
        (["submit", str(path), "--model", "M"], f"CommandError: {path}: "),
        (["submission_status", "12345"], "CommandError: no submission with id 12345"),
        (["submit", str(tmp_path / "gone.json"), "--model", "M"],
         f"CommandError: {tmp_path / 'gone.json'}: cannot read"),
        (["submit", str(tmp_path), "--model", "M"],
         f"CommandError: {tmp_path}: cannot read (Is a directory)"),
        # A Latin-1 byte in argv: once a UnicodeEncodeError traceback from the database.
        (["submit", str(good), "--model", os.fsdecode(b"Caf\xe9 7B")],
         "CommandError: --model: not valid UTF-8"),
    ]
    for args, message in cases:
        run = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env,
            capture_output=True, text=True, timeout=60,
        )
        assert run.returncode == 1
        assert len(run.stderr.strip().splitlines()) == 1, run.stderr
        assert run.stderr.startswith(message), run.stderr
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--model", "Coder\x1b[31m"],
         "--model: A model name cannot contain control characters or line breaks."),
        (["--model", "Two\nlines"],
         "--model: A model name cannot contain control characters or line breaks."),
        (["--model", "M" * 121], "--model: A model name has at most 120 characters."),
        (["--model", "M\udcff"], "--model: not valid UTF-8"),  # argv's b"M\xff"
        (["--model", "M", "--notes", "\udcff"], "--notes: not valid UTF-8"),
        (["--model", "M", "--notes", "n" * 2001], "--notes: at most 2000 characters"),
        *(
            (["--model", "M", "--temperature", value],
             "--temperature: must be a number from 0 to 10")
            for value in ("nan", "inf", "-0.5", "10.5")
        ),
    ],
)
def test_bad_options_are_one_line_and_write_nothing(queue_env, tmp_path, options, message):
    # The upload form and the API refuse all of these; the command once stored them, or
    # failed with a traceback as the row was written.
    make_adder_problem(0)
    path = tmp_path / "samples.json"
    path.write_bytes(enamel_json({0: [solution(0)]}))
    with pytest.raises(CommandError) as error:
        call_command("submit", str(path), *options, stdout=io.StringIO())
    assert str(error.value) == message
    assert not Submission.objects.exists()
    assert not LanguageModel.objects.exists()


def test_a_file_name_that_is_not_utf8_is_stored_readably(queue_env, tmp_path) -> None:
    make_adder_problem(0)
    path = Path(os.fsdecode(os.fsencode(tmp_path / "samples-") + b"\xff.json"))
    path.write_bytes(enamel_json({0: [solution(0)]}))
    call_command("submit", str(path), "--model", "M", stdout=io.StringIO())
    assert Submission.objects.get().upload_name == "samples-\ufffd.json"


def test_a_file_over_the_upload_limit_is_refused(queue_env, tmp_path, settings) -> None:
    # As the form and the API refuse it; the file is read no further than the limit.
    settings.MAX_UPLOAD_BYTES = 1024**2
    make_adder_problem(0)
    path = tmp_path / "samples.json"
    path.write_bytes(enamel_json({0: [solution(0) + " " * 1024**2]}))
    with pytest.raises(CommandError) as error:
        call_command("submit", str(path), "--model", "M", stdout=io.StringIO())
    assert str(error.value) == f"{path}: file is larger than the 1 MiB limit"
    assert not Submission.objects.exists()
