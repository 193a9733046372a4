import codecs
import csv
import io
import json
import stat
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from evaluation.formats import (
    ENAMEL_JSON,
    EVALPLUS_JSONL,
    EVALPLUS_ZIP,
    SampleFormatError,
    parse_samples,
)

MB = 1024**2


def task_ids(enamel_dir: Path) -> set[str]:
    with open(enamel_dir / "enamel.csv", newline="", encoding="utf-8") as rows:
        return {row["task_id"] for row in csv.DictReader(rows)}


def make_zip(members: dict[str, bytes], symlinks: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            info = zipfile.ZipInfo(name)
            if name in symlinks:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def jsonl(*rows: object) -> bytes:
    return "\n".join(json.dumps(row) for row in rows).encode()


def damaged_zip(compression: int, garbage_from: int = 0, extract_version: int = 20) -> bytes:
    """One member HumanEval_3/0.py whose compressed data is 0xff from byte garbage_from on
    (past its end: intact), declaring that it needs zip version extract_version to extract."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("HumanEval_3/0.py")
        info.extract_version = extract_version
        archive.writestr(info, b"x = 1\n" * 100, compression)
    data = bytearray(buffer.getvalue())
    start = 30 + len(info.filename)  # the local header, then the name, then the data
    for at in range(start + garbage_from, start + info.compress_size):
        data[at] = 0xFF
    return bytes(data)


@pytest.mark.parametrize(
    "name", ["enamel-references.json", "humaneval-canonical.json", "humanevalplus-canonical.json"]
)
def test_shared_enamel_sample_sets_parse(enamel_dir, name):
    data = (enamel_dir / "samples" / name).read_bytes()
    expected = json.loads(data)
    parsed = parse_samples(name, data, known_task_ids=task_ids(enamel_dir))
    assert parsed.format == ENAMEL_JSON
    assert len(parsed.samples) == len(expected) == 164
    assert parsed.task_ids[:3] == ["HumanEval/0", "HumanEval/1", "HumanEval/2"]
    assert parsed.samples["HumanEval/163"] == expected[163]
    assert parsed.n_samples == parsed.min_samples == 1


def test_shared_generations_parse_as_evalplus_jsonl(enamel_dir):
    paths = sorted(Path(settings.GENERATIONS_DIR).glob("*.jsonl"))
    if not paths:
        pytest.skip(f"no generations found at {settings.GENERATIONS_DIR}")
    for path in paths:
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        parsed = parse_samples(path.name, path.read_bytes(), known_task_ids=task_ids(enamel_dir))
        assert parsed.format == EVALPLUS_JSONL
        assert set(parsed.task_ids) == {row["task_id"] for row in rows}
        assert parsed.total_samples == len(rows)
        first = rows[0]["task_id"]
        assert parsed.samples[first] == [r["solution"] for r in rows if r["task_id"] == first]


def test_enamel_dict_with_bom_and_uncovered_entries():
    data = codecs.BOM_UTF8 + json.dumps({"7": ["a", "b"], "2": None, "0": [], "3": ["c"]}).encode()
    parsed = parse_samples("s.json", data)
    assert parsed.format == ENAMEL_JSON
    assert parsed.samples == {"HumanEval/3": ["c"], "HumanEval/7": ["a", "b"]}
    assert (parsed.n_samples, parsed.min_samples, parsed.total_samples) == (2, 1, 3)


def test_jsonl_keeps_file_order_skips_blank_lines_and_applies_prompts():
    rows = [
        {"task_id": "HumanEval/1", "completion": "    return 1\n"},
        {"task_id": "HumanEval/0", "solution": "def f():\n    return '\u2028'\n"},
        {"task_id": "HumanEval/1", "solution": "full", "completion": "ignored"},
    ]
    data = jsonl(*rows).replace(b"\n", b"\r\n\r\n") + b"\n\n"
    parsed = parse_samples("s.jsonl", data, prompts={"HumanEval/1": "def g():\n"})
    assert parsed.format == EVALPLUS_JSONL
    assert parsed.samples == {
        "HumanEval/0": [rows[1]["solution"]],
        "HumanEval/1": ["def g():\n    return 1\n", "full"],
    }
    assert parsed.prompts_applied == 1


def test_single_line_jsonl_is_not_taken_for_an_enamel_dict():
    parsed = parse_samples("s.txt", jsonl({"task_id": "HumanEval/4", "solution": "x"}))
    assert (parsed.format, parsed.samples) == (EVALPLUS_JSONL, {"HumanEval/4": ["x"]})


def test_zip_orders_samples_numerically_under_a_top_folder():
    data = make_zip(
        {
            "run/": b"",
            "run/HumanEval_3/10.py": b"ten",
            "run/HumanEval_3/2.py": codecs.BOM_UTF8 + b"two",
            "run/HumanEval_0/0.py": "zero \u00e9".encode(),
            "__MACOSX/run/._HumanEval_0": b"\x00\x05",
        }
    )
    parsed = parse_samples("upload.bin", data, known_task_ids={"HumanEval/0", "HumanEval/3"})
    assert parsed.format == EVALPLUS_ZIP
    assert parsed.samples == {"HumanEval/0": ["zero \u00e9"], "HumanEval/3": ["two", "ten"]}


sample_sets = st.dictionaries(
    st.integers(0, 163).map(lambda index: f"HumanEval/{index}"),
    # A leading byte order mark is dropped from zip members, as Python itself ignores it; NUL
    # is refused (test_bad_input_gives_one_line_naming_the_place).
    st.lists(
        st.text(st.characters(codec="utf-8", exclude_characters="\x00")).filter(
            lambda code: not code.startswith("\ufeff")
        ),
        min_size=1,
        max_size=5,
    ),
    min_size=1,
    max_size=5,
)


def as_enamel_list(samples: dict[str, list[str]]) -> bytes:
    entries: list[list[str] | None] = [None] * 164
    for task_id, codes in samples.items():
        entries[int(task_id.split("/")[1])] = codes
    return json.dumps(entries).encode()


def as_enamel_dict(samples: dict[str, list[str]]) -> bytes:
    return json.dumps({task_id.split("/")[1]: codes for task_id, codes in samples.items()}).encode()


def as_jsonl(samples: dict[str, list[str]]) -> bytes:
    return jsonl(*({"task_id": t, "solution": c} for t, codes in samples.items() for c in codes))


def as_zip(samples: dict[str, list[str]]) -> bytes:
    return make_zip(
        {
            f"HumanEval_{task_id.split('/')[1]}/{number}.py": code.encode()
            for task_id, codes in samples.items()
            for number, code in enumerate(codes)
        }
    )


@pytest.mark.parametrize(
    "encode, format_name",
    [
        (as_enamel_list, ENAMEL_JSON),
        (as_enamel_dict, ENAMEL_JSON),
        (as_jsonl, EVALPLUS_JSONL),
        (as_zip, EVALPLUS_ZIP),
    ],
)
@given(samples=sample_sets)
def test_every_format_round_trips(encode, format_name, samples):
    parsed = parse_samples("upload", encode(samples))
    assert parsed.format == format_name
    assert parsed.samples == dict(sorted(samples.items(), key=lambda item: int(item[0][10:])))


BAD_INPUTS = [
    # (data, keyword arguments, the exact message)
    (b"", {}, "file is empty"),
    (codecs.BOM_UTF8 + b" \n", {}, "file is empty"),
    # Whitespace to str.strip() but not to bytes.strip().
    ("\u00a0\n\u3000\x1c".encode(), {}, "file is empty"),
    (b" " * (2 * MB), {"max_bytes": MB}, "file is 2.0 MB, at most 1.0 MB allowed"),
    (b'[\n["a"],\n["\xff"]]', {}, "file: not valid UTF-8 at line 3"),
    (
        b"def f(): pass",
        {},
        "not a sample file: expected a JSON list or object, JSON Lines or a zip archive",
    ),
    (b'[\n["a"],\n  x]', {}, "not valid JSON at line 3 column 3 (Expecting value)"),
    (b"[" * 100_000, {}, "not valid JSON: nested too deeply"),
    (
        b'{\n"0": ["a"],\n}',
        {},
        "not valid JSON at line 3 column 1 (Expecting property name enclosed in double quotes)",
    ),
    (b'["a"]', {}, "entry 0: must be a list of code samples, got a string"),
    (
        b'[["a"], [' + b"1" * 5000 + b"]]",
        {},
        "entry 1, sample 0: code must be a string, got a number",
    ),
    (b'{"x\\ny": ["a"]}', {}, "key 'x\\ny': must be a problem index such as \"0\""),
    (b'{"01": ["a"]}', {}, "key '01': must be a problem index such as \"0\""),
    (b'{"1": ["a"], "1": ["b"]}', {}, "key '1' appears twice"),
    (b"[[], null]", {}, "no samples found"),
    (b'[["a", "b", "c"]]', {"max_samples": 2}, "HumanEval/0: 3 samples, at most 2 allowed"),
    (
        b'{"999": ["a"]}',
        {"known_task_ids": {"HumanEval/0"}},
        "entry 999, sample 0: HumanEval/999: unknown task id",
    ),
    (
        jsonl({"task_id": "HumanEval/0", "solution": "a"}, [1]),
        {},
        "line 2: must be a JSON object, got a list",
    ),
    (
        b'{"task_id": "HumanEval/0", "solution": "a"}\n\n{"task_id": ',
        {},
        "not valid JSON at line 3 column 13 (Expecting value)",
    ),
    (
        jsonl({"task_id": "HumanEval/0", "solution": "a"}, {"solution": "b"}),
        {},
        "line 2: missing 'task_id'",
    ),
    (
        jsonl({"task_id": 3, "solution": "a"}),
        {},
        "line 1: 'task_id' must be a string, got a number",
    ),
    (
        jsonl({"task_id": "MBPP/1\n", "solution": "a"}),
        {},
        "line 1: task id 'MBPP/1\\n' is not HumanEval/N",
    ),
    (
        jsonl({"task_id": "HumanEval/0", "solution": None}),
        {},
        "line 1: 'solution' must be a string, got null",
    ),
    (
        jsonl({"task_id": "HumanEval/0", "completion": True}),
        {},
        "line 1: 'completion' must be a string, got a boolean",
    ),
    (
        jsonl({"task_id": "HumanEval/0", "code": "a"}),
        {},
        "line 1: needs a 'solution' or a 'completion'",
    ),
    (
        jsonl({"task_id": "HumanEval/5", "completion": "a"}),
        {"prompts": {"HumanEval/0": "p"}},
        "line 1: HumanEval/5: no prompt known to complete; give a full 'solution'",
    ),
    (
        jsonl({"task_id": "HumanEval/999", "solution": "a"}),
        {"known_task_ids": {"HumanEval/0"}},
        "line 1: HumanEval/999: unknown task id",
    ),
    (
        jsonl({"task_id": "HumanEval/\u0663", "solution": "a"}),  # an Arabic-Indic 3
        {},
        "line 1: task id 'HumanEval/\u0663' is not HumanEval/N",
    ),
    (
        jsonl({"task_id": "HumanEval/03", "solution": "a"}),
        {},
        "line 1: task id 'HumanEval/03' is not HumanEval/N",
    ),
    (
        '{"\u0663": ["a"]}'.encode(),
        {},
        "key '\u0663': must be a problem index such as \"0\"",
    ),
    # PostgreSQL stores neither; a JSON escape makes either.
    (
        b'[["a\\u0000b"]]',
        {},
        "entry 0, sample 0: code contains a NUL character ('\\x00' at character 1)",
    ),
    (
        jsonl({"task_id": "HumanEval/0", "solution": "ab\udfff"}),
        {},
        "line 1: code contains a lone surrogate ('\\udfff' at character 2)",
    ),
    (
        make_zip({"HumanEval_3/0.py": b"\x00"}),
        {},
        "zip member HumanEval_3/0.py: code contains a NUL character ('\\x00' at character 0)",
    ),
    (b"PK\x03\x04garbage", {}, "not a valid zip archive (File is not a zip file)"),
    (
        damaged_zip(zipfile.ZIP_STORED, extract_version=64),
        {},
        "not a valid zip archive (zip file version 6.4)",
    ),
    (
        damaged_zip(zipfile.ZIP_DEFLATED),
        {},
        "zip member HumanEval_3/0.py: cannot be read "
        "(Error -3 while decompressing data: invalid block type)",
    ),
    (
        damaged_zip(zipfile.ZIP_LZMA, garbage_from=9),  # past its 4-byte header, 5 properties
        {},
        "zip member HumanEval_3/0.py: cannot be read (Corrupt input data)",
    ),
    (
        # zipfile cuts a name at a NUL: this member's name is "".
        make_zip({"Ax": b"a"}).replace(b"Ax", b"\x00x"),
        {},
        "zip member 0: has no name",
    ),
    (
        make_zip({"HumanEval_\u0663/0.py": b"a"}),
        {},
        "zip member HumanEval_\u0663/0.py: not a sample file name (HumanEval_N/M.py)",
    ),
    (
        make_zip({"HumanEval_03/0.py": b"a"}),
        {},
        "zip member HumanEval_03/0.py: not a sample file name (HumanEval_N/M.py)",
    ),
    (make_zip({}), {}, "no samples found"),
    (
        make_zip({"HumanEval_3/x.py": b"a"}),
        {},
        "zip member HumanEval_3/x.py: not a sample file name (HumanEval_N/M.py)",
    ),
    (
        make_zip({"a/b/HumanEval_3/0.py": b"a"}),
        {},
        "zip member a/b/HumanEval_3/0.py: not a sample file name (HumanEval_N/M.py)",
    ),
    (make_zip({"../HumanEval_3/0.py": b"a"}), {}, "zip member ../HumanEval_3/0.py: unsafe path"),
    (make_zip({"/HumanEval_3/0.py": b"a"}), {}, "zip member /HumanEval_3/0.py: unsafe path"),
    (
        make_zip({"HumanEval_3/0.py": b"x"}, symlinks=("HumanEval_3/0.py",)),
        {},
        "zip member HumanEval_3/0.py: symbolic links are not allowed",
    ),
    (
        make_zip({"HumanEval_3/0.py": b"\xff"}),
        {},
        "zip member HumanEval_3/0.py: not valid UTF-8 at line 1",
    ),
    (
        make_zip({"HumanEval_3/0.py": b"a", "top/HumanEval_3/0.py": b"b"}),
        {},
        "zip member top/HumanEval_3/0.py: same sample as zip member HumanEval_3/0.py",
    ),
    (
        make_zip({"HumanEval_3/0.py": bytes(2 * MB)}),
        {"max_bytes": MB},
        "zip expands to 2.0 MB, at most 1.0 MB allowed",
    ),
    (
        make_zip({"HumanEval_9/0.py": b"a"}),
        {"known_task_ids": {"HumanEval/0"}},
        "zip member HumanEval_9/0.py: HumanEval/9: unknown task id",
    ),
]


@pytest.mark.parametrize("data, options, message", BAD_INPUTS)
def test_bad_input_gives_one_line_naming_the_place(data, options, message):
    with pytest.raises(SampleFormatError) as raised:
        parse_samples("upload", data, **options)
    assert str(raised.value) == message
    assert "\n" not in str(raised.value)


def test_non_zip_named_zip_is_rejected():
    with pytest.raises(SampleFormatError, match=r"^file is named \.zip but is not a zip archive$"):
        parse_samples("samples.ZIP", b'[["a"]]')
