"""`manage.py load_examples`, which `make run` calls to fill an empty leaderboard."""

import io

import pytest
from django.core.management import call_command

from leaderboard.models import LanguageModel, Submission
from tests.workers import use_test_queue

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def catalogue(enamel_dir, settings, redis_server, tmp_path):
    use_test_queue(settings, redis_server, tmp_path)
    call_command("import_enamel", stdout=io.StringIO())


def test_queues_every_shared_set_published_on_an_empty_database(catalogue, settings):
    out = io.StringIO()
    call_command("load_examples", stdout=out)
    generations = sorted(p.stem for p in settings.GENERATIONS_DIR.glob("*.jsonl"))
    expected = 3 + len(generations)
    assert f"Queued {expected} example submissions" in out.getvalue()
    submissions = Submission.objects.select_related("model")
    assert submissions.count() == expected
    assert {s.visibility for s in submissions} == {Submission.Visibility.PUBLISHED}
    assert {s.status for s in submissions} == {Submission.Status.QUEUED}
    names = set(LanguageModel.objects.values_list("name", flat=True))
    assert {"HumanEval canonical solutions", "ENAMEL expert references", *generations} <= names
    canonical = submissions.get(model__name="HumanEval canonical solutions")
    assert canonical.problems_total == 142 and canonical.format == "enamel-json"


def test_does_nothing_once_there_are_submissions(catalogue):
    call_command("load_examples", stdout=io.StringIO())
    count = Submission.objects.count()
    out = io.StringIO()
    call_command("load_examples", stdout=out)
    assert "no examples queued" in out.getvalue()
    assert Submission.objects.count() == count
