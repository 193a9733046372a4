"""`manage.py load_examples`, which `make run` calls to fill an empty leaderboard."""

import io

import pytest
from django.core.management import call_command

from leaderboard.management.commands.load_examples import model_facts
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


@pytest.mark.parametrize(
    "name, organisation, size, open_weights",
    [
        ("Llama-3.1-8B-Instruct", "Meta", 8.0, True),
        ("deepseek-coder-6.7b-instruct", "DeepSeek", 6.7, True),
        ("gpt-4o-mini-2024-07-18", "OpenAI", None, False),
        ("Qwen2.5-Coder-32B-Instruct", "Alibaba (Qwen)", 32.0, True),
        ("my-own-model", "", None, False),
    ],
)
def test_model_facts_from_the_name(name, organisation, size, open_weights):
    assert model_facts(name) == {
        "organisation": organisation, "parameters_billions": size, "open_weights": open_weights
    }


def test_generation_models_get_their_facts_and_a_counted_note(catalogue, settings):
    call_command("load_examples", stdout=io.StringIO())
    for path in settings.GENERATIONS_DIR.glob("*.jsonl"):
        model = LanguageModel.objects.get(name=path.stem)
        assert model.organisation and (model.organisation, model.open_weights) == (
            model_facts(path.stem)["organisation"], model_facts(path.stem)["open_weights"]
        )
        submission = model.submissions.get()
        # The note counts what the file covers, as the queued submission does.
        assert f"{submission.problems_total} of the 142 tasks" in submission.notes
    llama = LanguageModel.objects.filter(name__startswith="Llama").first()
    if llama:
        assert llama.parameters_billions == 8.0 and llama.open_weights
