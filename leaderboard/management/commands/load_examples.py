"""`manage.py load_examples`: on an empty leaderboard, queue the shared example sample sets.

So that a newcomer's `make run` shows a populated leaderboard after the first minutes: the
three complete ENAMEL sample sets and the real model generations, published at once since
they are the operator's own reference data, not uploads.
"""

import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils.text import slugify

from evaluation.api import SampleFormatError, parse_samples
from leaderboard.models import LanguageModel, Submission
from leaderboard.submissions import create_submission
from problems.models import Problem

SAMPLE_SETS = {  # file: (model name, slug, organisation)
    "humaneval-canonical.json": (
        "HumanEval canonical solutions", "humaneval-canonical", "OpenAI (HumanEval)"
    ),
    "humanevalplus-canonical.json": (
        "HumanEval+ canonical solutions", "humanevalplus-canonical", "EvalPlus"
    ),
    "enamel-references.json": ("ENAMEL expert references", "enamel-references", "ENAMEL"),
}


# Model families by how their names start: (organisation, open weights).
FAMILIES = (
    (r"llama|codellama", "Meta", True),
    (r"deepseek", "DeepSeek", True),
    (r"gpt-|o1|o3", "OpenAI", False),
    (r"qwen", "Alibaba (Qwen)", True),
    (r"mistral|mixtral|codestral", "Mistral AI", True),
    (r"gemma|codegemma", "Google", True),
    (r"gemini", "Google", False),
    (r"claude", "Anthropic", False),
    (r"starcoder", "BigCode", True),
    (r"phi-", "Microsoft", True),
)
# "8B", "6.7b": a parameter count in billions, not part of a longer word or version.
_SIZE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)[bB](?![a-zA-Z])")


def model_facts(name: str) -> dict:
    """organisation, parameters_billions and open_weights, as far as a model's name says."""
    facts: dict = {"organisation": "", "parameters_billions": None, "open_weights": False}
    for pattern, organisation, open_weights in FAMILIES:
        if re.match(pattern, name, re.IGNORECASE):
            facts.update(organisation=organisation, open_weights=open_weights)
            break
    size = _SIZE.search(name)
    if size:
        facts["parameters_billions"] = float(size.group(1))
    return facts


def _coverage_note(path: Path) -> str:
    """What the generation file covers, counted from the file itself."""
    active = dict(Problem.objects.filter(active=True).values_list("task_id", "prompt"))
    parsed = parse_samples(path.name, path.read_bytes(), prompts=active)
    counts = [len(codes) for task, codes in parsed.samples.items() if task in active]
    spread = f"{min(counts)}" if min(counts) == max(counts) else f"{min(counts)}-{max(counts)}"
    return (
        f"Generations published with EvalPerf: {len(counts)} of the {len(active)} tasks, "
        f"{spread} samples each, and only samples that passed EvalPlus's tests, so this shows "
        "real code, not the model's real score (uncovered tasks count 0)."
    )


def example_files() -> list[tuple[Path, str, str, dict, str]]:
    """(file, model name, slug, model facts, notes) for every example that exists here."""
    found = []
    samples = Path(settings.ENAMEL_DATA_DIR) / "samples"
    for filename, (name, slug, organisation) in SAMPLE_SETS.items():
        if (samples / filename).is_file():
            facts = {"organisation": organisation, "description": "Human-written solutions."}
            found.append((samples / filename, name, slug, facts, "ENAMEL's shared sample set"))
    generations = Path(settings.GENERATIONS_DIR)
    if generations.is_dir():
        for path in sorted(generations.glob("*.jsonl")):
            try:
                note = _coverage_note(path)
            except (SampleFormatError, ValueError):
                note = "Generations published with EvalPerf."
            found.append((path, path.stem, slugify(path.stem), model_facts(path.stem), note))
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
        for path, name, slug, facts, notes in example_files():
            model, _ = LanguageModel.objects.get_or_create(
                name=name, defaults={"slug": slug, **facts},
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
