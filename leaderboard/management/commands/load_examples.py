"""`manage.py load_examples`: on an empty leaderboard, queue the shared example sample sets.

So that a newcomer's `make run` shows a populated leaderboard after the first minutes: the
three complete ENAMEL sample sets and the real model generations, published at once since
they are the operator's own reference data, not uploads.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils.text import slugify

from evaluation.formats import SampleFormatError
from leaderboard.models import LanguageModel, Submission
from leaderboard.submissions import create_submission

SAMPLE_SETS = {  # file: (model name, slug, organisation)
    "humaneval-canonical.json": (
        "HumanEval canonical solutions", "humaneval-canonical", "OpenAI (HumanEval)"
    ),
    "humanevalplus-canonical.json": (
        "HumanEval+ canonical solutions", "humanevalplus-canonical", "EvalPlus"
    ),
    "enamel-references.json": ("ENAMEL expert references", "enamel-references", "ENAMEL"),
}


def example_files() -> list[tuple[Path, str, str, str, str]]:
    """(file, model name, slug, organisation, notes) for every example that exists here."""
    found = []
    samples = Path(settings.ENAMEL_DATA_DIR) / "samples"
    for filename, (name, slug, organisation) in SAMPLE_SETS.items():
        if (samples / filename).is_file():
            found.append(
                (samples / filename, name, slug, organisation, "ENAMEL's shared sample set")
            )
    generations = Path(settings.GENERATIONS_DIR)
    if generations.is_dir():
        for path in sorted(generations.glob("*.jsonl")):
            found.append((path, path.stem, slugify(path.stem), "", (
                "Generations published with EvalPerf: only 29 tasks, and only samples that "
                "passed EvalPlus's tests, so this shows real code, not the model's real score."
            )))
    return found


class Command(BaseCommand):
    help = "Queue the shared example sample sets, published, when there are no submissions yet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Even if submissions exist")

    def handle(self, *args, force: bool, **options) -> None:
        if Submission.objects.exists() and not force:
            self.stdout.write("Submissions exist: no examples queued.")
            return
        queued = 0
        for path, name, slug, organisation, notes in example_files():
            model, _ = LanguageModel.objects.get_or_create(
                name=name, defaults={"slug": slug, "organisation": organisation},
            )
            try:
                with transaction.atomic():
                    submission = create_submission(
                        model=model, filename=path.name, data=path.read_bytes(), notes=notes,
                    )
                    Submission.objects.filter(pk=submission.pk).update(
                        visibility=Submission.Visibility.PUBLISHED
                    )
            except SampleFormatError as exc:
                self.stderr.write(f"{path.name}: {exc}")
                continue
            queued += 1
        self.stdout.write(f"Queued {queued} example submissions (published).")
