"""Load ENAMEL's 164 problems and our algorithm tags into the database."""

import shutil
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, transaction

from problems.enamel_csv import (
    DataError,
    EnamelProblem,
    TagEntry,
    read_problem_tags,
    read_problems,
    read_tag_vocabulary,
)
from problems.models import Problem, Tag

UPSTREAM_URL = "https://raw.githubusercontent.com/q-rz/enamel/main/dataset/enamel.csv"
DOWNLOAD_TIMEOUT_SECONDS = 60
DEFAULT_TAGS_DIR = Path(__file__).resolve().parents[2] / "data"
# The fields enamel.csv owns: a re-import overwrites them. Active, tests per level, hardness
# and (once set) tags belong to the admins.
CSV_FIELDS = (
    "task_id", "slug", "title", "prompt", "entry_point", "input_generator", "level_sizes",
    "reference_solution", "checker",
)


class Command(BaseCommand):
    help = (
        "Import ENAMEL's 164 problems from enamel.csv (the 142 benchmark problems active, the "
        "22 excluded ones inactive) and the tags from tag_vocabulary.csv and tags.csv. "
        "All or nothing: any bad row aborts the whole import. Re-running is safe: unchanged "
        "problems are left alone; a changed row updates its problem's text, level sizes and "
        "hash, but keeps its active flag, tests per level and hardness. A problem's tags are "
        "set from tags.csv only when it is created or has no tags, so tags edited in the "
        "admin survive re-imports (a problem whose tags were all removed gets the file's again)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-dir",
            type=Path,
            help="Folder holding enamel.csv. Default: settings.ENAMEL_DATA_DIR; when that folder "
            "does not exist, enamel.csv is downloaded from upstream into var/enamel/.",
        )
        parser.add_argument(
            "--tags-dir",
            type=Path,
            default=DEFAULT_TAGS_DIR,
            help="Folder holding tag_vocabulary.csv and tags.csv (default: problems/data).",
        )

    def handle(self, *args, data_dir: Path | None, tags_dir: Path, **options) -> None:
        csv_path = data_dir / "enamel.csv" if data_dir else self.default_enamel_csv()
        try:
            problems = read_problems(csv_path)
            vocabulary = read_tag_vocabulary(tags_dir / "tag_vocabulary.csv")
            problem_tags = read_problem_tags(
                tags_dir / "tags.csv", {entry.slug for entry in vocabulary}
            )
        except DataError as error:
            raise CommandError(f"Nothing imported: {error}") from None
        try:
            with transaction.atomic():
                tag_counts = import_tags(vocabulary)
                problem_counts = import_problems(problems, problem_tags)
        except DatabaseError as error:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise CommandError(f"Nothing imported: the database refused it ({message})") from None
        active = Problem.objects.filter(
            index__in=[problem.index for problem in problems], active=True
        ).count()
        self.stdout.write(
            f"Imported {len(problems)} problems ({active} active): {summary(problem_counts)}"
        )
        self.stdout.write(f"Imported {len(vocabulary)} tags: {summary(tag_counts)}")

    def default_enamel_csv(self) -> Path:
        configured = Path(settings.ENAMEL_DATA_DIR)
        downloaded = Path(settings.VAR_DIR) / "enamel" / "enamel.csv"
        if configured.is_dir() and configured != downloaded.parent:
            return configured / "enamel.csv"
        if not downloaded.is_file():
            self.stdout.write(f"No ENAMEL data at {configured}: downloading {UPSTREAM_URL}")
            download(UPSTREAM_URL, downloaded)
        return downloaded


def download(url: str, target: Path) -> None:
    """Fetches url into target; a failed download leaves no file behind."""
    partial = target.with_name(target.name + ".part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with (
            urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response,
            partial.open("wb") as file,
        ):
            shutil.copyfileobj(response, file)
        partial.replace(target)
    except (OSError, ValueError) as error:  # URLError, HTTPError and timeouts are OSErrors
        partial.unlink(missing_ok=True)
        raise CommandError(
            f"Could not download {url} ({error}): set ENAMEL_DATA_DIR to a folder with enamel.csv"
        ) from None


def summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts[key]} {key}" for key in ("created", "updated", "unchanged"))


def import_tags(vocabulary: list[TagEntry]) -> dict[str, int]:
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    existing = {tag.slug: tag for tag in Tag.objects.all()}
    for entry in vocabulary:
        tag = existing.get(entry.slug)
        if tag is None:
            Tag.objects.create(slug=entry.slug, name=entry.name, description=entry.description)
            counts["created"] += 1
        elif (tag.name, tag.description) != (entry.name, entry.description):
            tag.name, tag.description = entry.name, entry.description
            tag.save()
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    return counts


def csv_values(row: EnamelProblem) -> dict[str, str | int]:
    values = {field: getattr(row, field) for field in CSV_FIELDS}
    values["level_sizes"] = " ".join(str(size) for size in row.level_sizes)
    return values


def import_problems(
    rows: list[EnamelProblem], problem_tags: dict[int, tuple[str, ...]]
) -> dict[str, int]:
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    existing = {problem.index: problem for problem in Problem.objects.prefetch_related("tags")}
    tags = {tag.slug: tag for tag in Tag.objects.all()}
    for row in rows:
        values = csv_values(row)
        problem = existing.get(row.index)
        if problem is None:
            problem = Problem(index=row.index, active=row.active, **values)
            changed = True
            counts["created"] += 1
        else:
            changed = any(getattr(problem, field) != value for field, value in values.items())
            for field, value in values.items():
                setattr(problem, field, value)
        if changed:
            # ENAMEL's problems are trusted: they count as validated as imported.
            problem.validated_hash = problem.to_spec().content_hash()
            problem.save()
        tags_set = False
        if row.index in problem_tags and (row.index not in existing or not problem.tags.all()):
            problem.tags.set([tags[slug] for slug in problem_tags[row.index]])
            tags_set = True
        if row.index in existing:
            counts["updated" if changed or tags_set else "unchanged"] += 1
    return counts
