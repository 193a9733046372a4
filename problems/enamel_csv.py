"""Reading and checking ENAMEL's enamel.csv and our tag files.

Plain Python, no Django: every problem is reported as a `DataError` naming the file, the
row and the column, so the import command can refuse the whole file in one line.
"""

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PROBLEM_COUNT = 164  # HumanEval/0 .. HumanEval/163
# Indices ENAMEL leaves out of its benchmark (see ../shared/README.md).
EXCLUDED_INDICES = frozenset(
    {2, 23, 41, 45, 53, 60, 71, 92, 97, 99, 102, 123, 124, 135, 137, 138, 144, 148, 156, 157,
     159, 160}
)
LEVEL_COUNT = 4
MAX_TAGS_PER_PROBLEM = 3

PROBLEM_COLUMNS = (
    "task_id", "prompt", "input_generator", "input_levels", "reference_solution", "checker",
    "entry_point",
)
VOCABULARY_COLUMNS = ("slug", "name", "description")
PROBLEM_TAG_COLUMNS = ("task_id", "tags")

_TASK_ID = re.compile(r"HumanEval/(\d+)")
_SLUG = re.compile(r"[-a-z0-9]+")


class DataError(ValueError):
    """One line saying what is wrong and where."""

    def __init__(self, path: Path, message: str, row: int | None = None,
                 column: str | None = None) -> None:
        where = str(path)
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class EnamelProblem:
    index: int
    task_id: str
    prompt: str
    input_generator: str
    level_sizes: tuple[int, ...]
    reference_solution: str
    checker: str
    entry_point: str

    @property
    def active(self) -> bool:
        return self.index not in EXCLUDED_INDICES

    @property
    def slug(self) -> str:
        return f"humaneval-{self.index}"

    @property
    def title(self) -> str:
        return self.entry_point


@dataclass(frozen=True)
class TagEntry:
    slug: str
    name: str
    description: str


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yields (row number, row) with every column present; row 1 is the first data row."""
    row_number = 0
    try:
        with path.open(newline="", encoding="utf-8") as file:
            # strict: a file cut inside a quoted field is an error, not a shorter last field.
            reader = csv.DictReader(file, strict=True)
            missing = [name for name in columns if name not in (reader.fieldnames or [])]
            if missing:
                raise DataError(path, f"header lacks column(s) {', '.join(missing)}")
            for row_number, row in enumerate(reader, start=1):
                if None in row:
                    raise DataError(path, "more fields than the header has", row=row_number)
                for name in columns:
                    if row[name] is None:
                        raise DataError(path, "row ends before this column (truncated file?)",
                                        row=row_number, column=name)
                yield row_number, row
    except csv.Error as error:
        raise DataError(path, f"unreadable CSV ({error})", row=row_number + 1) from None
    except FileNotFoundError:
        raise DataError(path, "file not found") from None
    except UnicodeDecodeError as error:
        raise DataError(path, f"not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise DataError(path, f"cannot read file ({error.strerror})") from None


def _required(path: Path, row_number: int, row: dict[str, str], column: str) -> str:
    value = row[column]
    if not value.strip():
        raise DataError(path, "empty value", row=row_number, column=column)
    return value


def _task_index(path: Path, row_number: int, value: str, allow_bare: bool = False) -> int:
    match = _TASK_ID.fullmatch(value.strip())
    text = match.group(1) if match else value.strip()
    if (match or allow_bare) and text.isdigit() and int(text) < PROBLEM_COUNT:
        return int(text)
    expected = "HumanEval/N" + (" or N" if allow_bare else "")
    raise DataError(path, f"expected {expected} with N below {PROBLEM_COUNT}, got {value!r}",
                    row=row_number, column="task_id")


def _level_sizes(path: Path, row_number: int, value: str) -> tuple[int, ...]:
    parts = value.split()
    if len(parts) != LEVEL_COUNT or not all(part.isdigit() and int(part) > 0 for part in parts):
        raise DataError(path, f"expected {LEVEL_COUNT} positive integer sizes, got {value!r}",
                        row=row_number, column="input_levels")
    return tuple(int(part) for part in parts)


def read_problems(path: Path) -> list[EnamelProblem]:
    """All of HumanEval/0..163 from enamel.csv, in index order."""
    problems: dict[int, EnamelProblem] = {}
    for row_number, row in _rows(path, PROBLEM_COLUMNS):
        for column in PROBLEM_COLUMNS:
            _required(path, row_number, row, column)
        index = _task_index(path, row_number, row["task_id"])
        if index in problems:
            raise DataError(path, f"HumanEval/{index} appears twice", row=row_number,
                            column="task_id")
        entry_point = row["entry_point"].strip()
        if not entry_point.isidentifier():
            raise DataError(path, f"not a Python name: {entry_point!r}", row=row_number,
                            column="entry_point")
        problems[index] = EnamelProblem(
            index=index,
            task_id=f"HumanEval/{index}",
            prompt=row["prompt"],
            input_generator=row["input_generator"],
            level_sizes=_level_sizes(path, row_number, row["input_levels"]),
            reference_solution=row["reference_solution"],
            checker=row["checker"],
            entry_point=entry_point,
        )
    missing = sorted(set(range(PROBLEM_COUNT)) - problems.keys())
    if missing:
        raise DataError(
            path,
            f"{len(missing)} of {PROBLEM_COUNT} problems missing, first HumanEval/{missing[0]} "
            "(truncated file?)",
        )
    return [problems[index] for index in range(PROBLEM_COUNT)]


def read_tag_vocabulary(path: Path) -> list[TagEntry]:
    """The tags we use, from tag_vocabulary.csv (slug,name,description)."""
    entries: list[TagEntry] = []
    slugs: set[str] = set()
    names: set[str] = set()
    for row_number, row in _rows(path, VOCABULARY_COLUMNS):
        slug = _required(path, row_number, row, "slug").strip()
        name = _required(path, row_number, row, "name").strip()
        if not _SLUG.fullmatch(slug):
            raise DataError(path, f"not a slug (a-z, 0-9, -): {slug!r}", row=row_number,
                            column="slug")
        if slug in slugs:
            raise DataError(path, f"duplicate slug {slug!r}", row=row_number, column="slug")
        if name in names:
            raise DataError(path, f"duplicate name {name!r}", row=row_number, column="name")
        slugs.add(slug)
        names.add(name)
        entries.append(TagEntry(slug=slug, name=name, description=row["description"].strip()))
    return entries


def read_problem_tags(path: Path, known_slugs: set[str]) -> dict[int, tuple[str, ...]]:
    """Problem index -> tag slugs, from tags.csv (task_id as N or HumanEval/N, tags)."""
    tags: dict[int, tuple[str, ...]] = {}
    for row_number, row in _rows(path, PROBLEM_TAG_COLUMNS):
        index = _task_index(path, row_number, _required(path, row_number, row, "task_id"),
                            allow_bare=True)
        if index in tags:
            raise DataError(path, f"HumanEval/{index} appears twice", row=row_number,
                            column="task_id")
        slugs = tuple(dict.fromkeys(row["tags"].split()))
        if not 1 <= len(slugs) <= MAX_TAGS_PER_PROBLEM:
            raise DataError(path, f"expected 1 to {MAX_TAGS_PER_PROBLEM} tags, got {len(slugs)}",
                            row=row_number, column="tags")
        unknown = [slug for slug in slugs if slug not in known_slugs]
        if unknown:
            raise DataError(path, f"unknown tag {unknown[0]!r} (not in the vocabulary)",
                            row=row_number, column="tags")
        tags[index] = slugs
    return tags
