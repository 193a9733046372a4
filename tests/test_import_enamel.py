import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from problems.enamel_csv import PROBLEM_COLUMNS, read_problem_tags, read_tag_vocabulary
from problems.models import Problem, Tag

REPO_TAGS_DIR = Path(__file__).resolve().parent.parent / "problems" / "data"
# ENAMEL's exclusions, restated from ../shared/README.md to check the importer against.
EXCLUDED = {2, 23, 41, 45, 53, 60, 71, 92, 97, 99, 102, 123, 124, 135, 137, 138, 144, 148, 156,
            157, 159, 160}


def import_enamel(data_dir: Path, tags_dir: Path = REPO_TAGS_DIR) -> list[str]:
    out = StringIO()
    call_command("import_enamel", data_dir=data_dir, tags_dir=tags_dir, stdout=out)
    return out.getvalue().splitlines()


def write_csv(path: Path, rows: list[dict[str, str]], columns=None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=columns or list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def synthetic_row(index: int) -> dict[str, str]:
    return {
        "task_id": f"HumanEval/{index}",
        "prompt": f'def f{index}(x):\n    """Returns x, unchanged."""\n',
        "input_generator": "def generate_input(size, lid, cid):\n    return (size,)\n",
        "input_levels": "1 10 100 1000",
        "reference_solution": "    return x\n",
        "checker": "def __check(input, answer, output):\n    return output == answer\n",
        "entry_point": f"f{index}",
    }


def synthetic_rows() -> list[dict[str, str]]:
    return [synthetic_row(index) for index in range(164)]


@pytest.fixture
def tags_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "tags"
    write_csv(
        directory / "tag_vocabulary.csv",
        [
            {"slug": "math", "name": "Math", "description": "Formulas."},
            {"slug": "strings", "name": "Strings", "description": "Text."},
        ],
    )
    write_csv(directory / "tags.csv", [{"task_id": "0", "tags": "math strings"}])
    return directory


def snapshot() -> list[tuple]:
    return [
        (p.index, p.updated, p.content_hash, p.validated_hash, p.active,
         tuple(tag.slug for tag in p.tags.all()))
        for p in Problem.objects.prefetch_related("tags")
    ]


def test_imports_the_real_csv(db, enamel_dir):
    output = import_enamel(enamel_dir)

    assert output[0] == "Imported 164 problems (142 active): 164 created, 0 updated, 0 unchanged"
    assert Problem.objects.count() == 164
    inactive = set(Problem.objects.filter(active=False).values_list("index", flat=True))
    assert inactive == EXCLUDED
    first = Problem.objects.get(index=0)
    assert (first.task_id, first.slug, first.title) == (
        "HumanEval/0", "humaneval-0", "has_close_elements"
    )
    assert first.level_sizes == "20 100 10000 15000"
    assert first.prompt.startswith("from typing import List\n")
    assert all(p.validated_hash == p.content_hash != "" for p in Problem.objects.all())
    vocabulary = read_tag_vocabulary(REPO_TAGS_DIR / "tag_vocabulary.csv")
    assert Tag.objects.count() == len(vocabulary)
    expected = read_problem_tags(REPO_TAGS_DIR / "tags.csv", {t.slug for t in vocabulary})
    assert {
        p.index: {tag.slug for tag in p.tags.all()}
        for p in Problem.objects.prefetch_related("tags") if p.tags.all()
    } == {index: set(slugs) for index, slugs in expected.items()}


def test_second_import_changes_nothing(db, enamel_dir):
    import_enamel(enamel_dir)
    before = snapshot()

    output = import_enamel(enamel_dir)

    assert output[0] == "Imported 164 problems (142 active): 0 created, 0 updated, 164 unchanged"
    tags = Tag.objects.count()
    assert output[1] == f"Imported {tags} tags: 0 created, 0 updated, {tags} unchanged"
    assert snapshot() == before


def test_changed_row_updates_only_that_problem(db, enamel_dir, tmp_path):
    import_enamel(enamel_dir)
    Problem.objects.filter(index=0).update(active=False)  # an admin's call: kept on re-import
    before = {row[0]: row for row in snapshot()}
    with (enamel_dir / "enamel.csv").open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    rows[5]["reference_solution"] += "    # faster now\n"
    write_csv(tmp_path / "changed" / "enamel.csv", rows)

    output = import_enamel(tmp_path / "changed")

    assert output[0] == "Imported 164 problems (141 active): 0 created, 1 updated, 163 unchanged"
    after = {row[0]: row for row in snapshot()}
    assert [index for index in after if after[index] != before[index]] == [5]
    changed = Problem.objects.get(index=5)
    assert changed.reference_solution.endswith("# faster now\n")
    assert changed.content_hash != before[5][2]
    assert changed.validated_hash == changed.content_hash
    assert not Problem.objects.get(index=0).active


def assert_refused(data_dir: Path, tags_dir: Path, *expected: str) -> None:
    with pytest.raises(CommandError) as raised:
        import_enamel(data_dir, tags_dir)
    message = str(raised.value)
    assert "\n" not in message
    for part in expected:
        assert part in message
    assert Problem.objects.count() == 0
    assert Tag.objects.count() == 0


def test_truncated_real_csv_is_refused(db, enamel_dir, tmp_path):
    text = (enamel_dir / "enamel.csv").read_text(encoding="utf-8")
    cut = text.index("HumanEval/100,")  # inside row 101, the cut falls in a quoted field
    (tmp_path / "enamel.csv").write_text(text[: cut + 200], encoding="utf-8")

    assert_refused(tmp_path, REPO_TAGS_DIR, str(tmp_path / "enamel.csv"), "row 101",
                   "unexpected end of data")


def test_missing_file_is_refused(db, tmp_path, tags_dir):
    assert_refused(tmp_path, tags_dir, str(tmp_path / "enamel.csv"), "file not found")


def test_missing_column_is_refused(db, tmp_path, tags_dir):
    columns = [name for name in PROBLEM_COLUMNS if name != "checker"]
    rows = [{name: row[name] for name in columns} for row in synthetic_rows()]
    write_csv(tmp_path / "enamel.csv", rows, columns)

    assert_refused(tmp_path, tags_dir, "enamel.csv", "header lacks column(s) checker")


def test_short_row_is_refused(db, tmp_path, tags_dir):
    path = write_csv(tmp_path / "enamel.csv", synthetic_rows())
    with path.open("a", encoding="utf-8") as file:
        file.write('HumanEval/7,"def f(x):\n    pass\n"\n')  # a row cut after its prompt

    assert_refused(tmp_path, tags_dir, "row 165, column input_generator", "truncated")


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("entry_point", "  ", "row 8, column entry_point: empty value"),
        ("task_id", "HumanEval/x", "row 8, column task_id"),
        ("task_id", "HumanEval/164", "row 8, column task_id"),
        ("task_id", "HumanEval/3", "row 8, column task_id: HumanEval/3 appears twice"),
        ("input_levels", "1 10 ten 1000", "row 8, column input_levels"),
        ("input_levels", "1 10 100", "row 8, column input_levels: expected 4"),
        ("input_levels", "1 10 100 1000 10000", "row 8, column input_levels: expected 4"),
        ("entry_point", "not a name", "row 8, column entry_point"),
    ],
)
def test_bad_value_is_refused(db, tmp_path, tags_dir, column, value, expected):
    rows = synthetic_rows()
    rows[7][column] = value
    write_csv(tmp_path / "enamel.csv", rows)

    assert_refused(tmp_path, tags_dir, str(tmp_path / "enamel.csv"), expected)


def test_missing_problems_are_refused(db, tmp_path, tags_dir):
    write_csv(tmp_path / "enamel.csv", synthetic_rows()[:120])

    assert_refused(tmp_path, tags_dir, "44 of 164 problems missing, first HumanEval/120")


def test_unknown_tag_is_refused(db, tmp_path, tags_dir):
    write_csv(tmp_path / "enamel.csv", synthetic_rows())
    write_csv(tags_dir / "tags.csv", [
        {"task_id": "0", "tags": "math"},
        {"task_id": "HumanEval/1", "tags": "math graphs"},
    ])

    assert_refused(tmp_path, tags_dir, str(tags_dir / "tags.csv"), "row 2, column tags",
                   "unknown tag 'graphs'")


def test_too_many_tags_are_refused(db, tmp_path, tags_dir):
    write_csv(tmp_path / "enamel.csv", synthetic_rows())
    write_csv(tags_dir / "tags.csv", [{"task_id": "0", "tags": ""}])

    assert_refused(tmp_path, tags_dir, "tags.csv, row 1, column tags: expected 1 to 3 tags")


def test_tags_edited_in_the_admin_survive_reimport(db, tmp_path, tags_dir):
    write_csv(tmp_path / "enamel.csv", synthetic_rows())
    import_enamel(tmp_path, tags_dir)
    assert set(Problem.objects.get(index=0).tags.values_list("slug", flat=True)) == {
        "math", "strings"
    }
    assert not Problem.objects.get(index=1).tags.exists()
    Problem.objects.get(index=0).tags.set(Tag.objects.filter(slug="strings"))
    write_csv(tags_dir / "tags.csv", [
        {"task_id": "0", "tags": "math"},
        {"task_id": "1", "tags": "strings"},
    ])
    write_csv(tags_dir / "tag_vocabulary.csv", [
        {"slug": "math", "name": "Mathematics", "description": "Formulas."},
        {"slug": "strings", "name": "Strings", "description": "Text."},
    ])

    output = import_enamel(tmp_path, tags_dir)

    assert output == [
        "Imported 164 problems (142 active): 0 created, 1 updated, 163 unchanged",
        "Imported 2 tags: 0 created, 1 updated, 1 unchanged",
    ]
    assert list(Problem.objects.get(index=0).tags.values_list("slug", flat=True)) == ["strings"]
    assert list(Problem.objects.get(index=1).tags.values_list("slug", flat=True)) == ["strings"]
    assert Tag.objects.get(slug="math").name == "Mathematics"
