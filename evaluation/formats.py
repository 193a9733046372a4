"""Reading an uploaded sample file into {task_id: [code, ...]}.

Three formats, told apart by content:

- ENAMEL JSON: a list whose entry N is the list of code samples for problem N (null or []
  when not covered), or the same as a dict keyed by the problem index as a string.
- EvalPlus JSONL: one object a line with "task_id" and "solution" (a full program) or
  "completion" (a body that follows the problem's prompt).
- EvalPlus zip: members HumanEval_N/M.py, sample M of problem N, optionally under one
  top-level folder.

Plain Python, no Django. Every problem raises SampleFormatError with one line that names
what is wrong and where; entries and samples are numbered from 0, lines from 1.
"""

import codecs
import io
import json
import lzma
import re
import stat
import zipfile
import zlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

# The largest file parse_samples() reads unless told otherwise.
DEFAULT_MAX_BYTES = 50 * 1024**2
ENAMEL_JSON = "enamel-json"
EVALPLUS_JSONL = "evalplus-jsonl"
EVALPLUS_ZIP = "evalplus-zip"

# Capped digit counts keep int() away from Python's 4300-digit conversion limit. Digits are
# ASCII ([0-9], not \d: int() reads "٣" as 3) and a problem index is written as EvalPlus
# writes it (no leading zero), so "HumanEval/٣" or "HumanEval/03" is not taken for another id.
_INDEX = re.compile(r"0|[1-9][0-9]{0,5}")
_TASK_ID = re.compile(r"HumanEval/(0|[1-9][0-9]{0,5})")
_ZIP_MEMBER = re.compile(r"(?:[^/]+/)?HumanEval_(0|[1-9][0-9]{0,5})/([0-9]{1,6})\.py")
# Text no database stores and no program can be: PostgreSQL refuses NUL in text and JSON, and a
# lone surrogate (which a JSON "\ud800" escape makes) cannot be encoded as UTF-8 at all.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # an archive with members, an empty one
_JSON_TYPE_NAMES = {
    type(None): "null",
    bool: "a boolean",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "an object",
}


class SampleFormatError(ValueError):
    """An uploaded sample file that cannot be read; str() is one line for the uploader."""


@dataclass(frozen=True)
class ParsedSamples:
    format: str
    samples: dict[str, list[str]]  # task id -> code samples, problems in index order
    # Samples given as a "completion" and turned into programs by prepending the prompt.
    prompts_applied: int = 0

    @property
    def task_ids(self) -> list[str]:
        return list(self.samples)

    @property
    def n_samples(self) -> int:
        """The most samples given for one problem."""
        return max(len(codes) for codes in self.samples.values())

    @property
    def min_samples(self) -> int:
        """The fewest samples given for a covered problem: the largest k that can be reported."""
        return min(len(codes) for codes in self.samples.values())

    @property
    def total_samples(self) -> int:
        return sum(len(codes) for codes in self.samples.values())


def read_sample_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The file's bytes, read no further than one past `max_bytes`: /dev/zero, or a huge file
    given by mistake, must not fill memory before its size is checked."""
    try:
        with path.open("rb") as stream:
            data = stream.read(max_bytes + 1)
    except OSError as exc:
        raise SampleFormatError(f"cannot read ({exc.strerror})") from None
    if len(data) > max_bytes:
        raise SampleFormatError(f"file is larger than the {max_bytes / 1024**2:g} MiB limit")
    return data


def parse_samples(
    filename: str,
    data: bytes,
    *,
    known_task_ids: Collection[str] | None = None,
    prompts: Mapping[str, str] | None = None,
    max_samples: int = 200,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ParsedSamples:
    """Parse an upload in any supported format; raise SampleFormatError if it is not valid.

    known_task_ids, when given, are the only task ids accepted; prompts (task id -> prompt)
    are needed only for EvalPlus "completion" samples.
    """
    if len(data) > max_bytes:
        raise SampleFormatError(
            f"file is {_megabytes(len(data))}, at most {_megabytes(max_bytes)} allowed"
        )
    collector = _Collector(known_task_ids, max_samples)
    if data.startswith(_ZIP_MAGICS):
        _read_zip(data, collector, max_bytes)
        return collector.result(EVALPLUS_ZIP)
    if not data.removeprefix(codecs.BOM_UTF8).strip():
        raise SampleFormatError("file is empty")
    if filename.lower().endswith(".zip"):
        raise SampleFormatError("file is named .zip but is not a zip archive")
    text = _decode(data, "file")
    document = _whole_document(text)
    if isinstance(document, dict) and "task_id" not in document:
        _read_enamel_dict(document, collector)
        return collector.result(ENAMEL_JSON)
    if isinstance(document, list):
        _read_enamel_list(document, collector)
        return collector.result(ENAMEL_JSON)
    applied = _read_jsonl(text, collector, prompts or {})
    return collector.result(EVALPLUS_JSONL, prompts_applied=applied)


class _Collector:
    """Gathers samples in file order, checking task ids as they come and counts at the end."""

    def __init__(self, known_task_ids: Collection[str] | None, max_samples: int) -> None:
        self.known = None if known_task_ids is None else frozenset(known_task_ids)
        self.max_samples = max_samples
        self.samples: dict[int, list[str]] = {}

    def add(self, index: int, code: str, where: str) -> None:
        task_id = f"HumanEval/{index}"
        if self.known is not None and task_id not in self.known:
            raise SampleFormatError(f"{where}: {task_id}: unknown task id")
        bad = UNSTORABLE.search(code)
        if bad:
            what = "a NUL character" if bad[0] == "\x00" else "a lone surrogate"
            raise SampleFormatError(
                f"{where}: code contains {what} ({bad[0]!r} at character {bad.start()})"
            )
        self.samples.setdefault(index, []).append(code)

    def result(self, format_name: str, prompts_applied: int = 0) -> ParsedSamples:
        if not self.samples:
            raise SampleFormatError("no samples found")
        ordered = {f"HumanEval/{index}": self.samples[index] for index in sorted(self.samples)}
        for task_id, codes in ordered.items():
            if len(codes) > self.max_samples:
                raise SampleFormatError(
                    f"{task_id}: {len(codes)} samples, at most {self.max_samples} allowed"
                )
        return ParsedSamples(format_name, ordered, prompts_applied)


def _read_enamel_list(document: list[object], collector: _Collector) -> None:
    for index, entry in enumerate(document):
        _read_enamel_entry(index, entry, f"entry {index}", collector)


def _read_enamel_dict(document: dict[str, object], collector: _Collector) -> None:
    entries = {}
    for key, entry in document.items():
        if not _INDEX.fullmatch(key):
            raise SampleFormatError(f'key {_shown(key)}: must be a problem index such as "0"')
        entries[int(key)] = entry
    for index in sorted(entries):
        _read_enamel_entry(index, entries[index], f"entry {index}", collector)


def _read_enamel_entry(index: int, entry: object, where: str, collector: _Collector) -> None:
    if entry is None:
        return
    if not isinstance(entry, list):
        raise SampleFormatError(f"{where}: must be a list of code samples, got {_kind(entry)}")
    for number, code in enumerate(entry):
        sample = f"{where}, sample {number}"
        if not isinstance(code, str):
            raise SampleFormatError(f"{sample}: code must be a string, got {_kind(code)}")
        collector.add(index, code, sample)


def _read_jsonl(text: str, collector: _Collector, prompts: Mapping[str, str]) -> int:
    applied = 0
    # Split on "\n" only: str.splitlines() would also break at U+2028 and the like, which
    # JSON allows unescaped inside strings.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        row = _loads(line, line_number=number)
        if not isinstance(row, dict):
            raise SampleFormatError(f"{where}: must be a JSON object, got {_kind(row)}")
        if "task_id" not in row:
            raise SampleFormatError(f"{where}: missing 'task_id'")
        task_id = row["task_id"]
        if not isinstance(task_id, str):
            raise SampleFormatError(f"{where}: 'task_id' must be a string, got {_kind(task_id)}")
        match = _TASK_ID.fullmatch(task_id)
        if not match:
            raise SampleFormatError(f"{where}: task id {_shown(task_id)} is not HumanEval/N")
        # As EvalPlus does: a full "solution" wins over a "completion".
        if "solution" in row:
            code = row["solution"]
            if not isinstance(code, str):
                raise SampleFormatError(f"{where}: 'solution' must be a string, got {_kind(code)}")
        elif "completion" in row:
            completion = row["completion"]
            if not isinstance(completion, str):
                raise SampleFormatError(
                    f"{where}: 'completion' must be a string, got {_kind(completion)}"
                )
            if task_id not in prompts:
                raise SampleFormatError(
                    f"{where}: {task_id}: no prompt known to complete; give a full 'solution'"
                )
            code = prompts[task_id] + completion
            applied += 1
        else:
            raise SampleFormatError(f"{where}: needs a 'solution' or a 'completion'")
        collector.add(int(match[1]), code, where)
    return applied


def _read_zip(data: bytes, collector: _Collector, max_bytes: int) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    # NotImplementedError: a member that declares a newer zip version than zipfile reads.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError,
            EOFError) as exc:
        raise SampleFormatError(f"not a valid zip archive ({_one_line(exc)})") from None
    with archive:
        found = _read_zip_members(archive, max_bytes)
    for (index, _number), (name, code) in sorted(found.items()):
        collector.add(index, code, f"zip member {name}")


def _read_zip_members(
    archive: zipfile.ZipFile, max_bytes: int
) -> dict[tuple[int, int], tuple[str, str]]:
    """(problem index, sample number) -> (member name as shown, code)."""
    members = archive.infolist()
    # zipfile never inflates a member past its declared size (a lie fails the CRC check),
    # so capping the declared total caps what a zip bomb can expand to.
    declared = sum(info.file_size for info in members)
    if declared > max_bytes:
        raise SampleFormatError(
            f"zip expands to {_megabytes(declared)}, at most {_megabytes(max_bytes)} allowed"
        )
    found: dict[tuple[int, int], tuple[str, str]] = {}
    for position, info in enumerate(members):
        name = info.filename
        if not name:  # zipfile cuts a name at its first NUL; ZipInfo.is_dir() fails on ""
            raise SampleFormatError(f"zip member {position}: has no name")
        where = f"zip member {_shown(name, quote=False)}"
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            raise SampleFormatError(f"{where}: unsafe path")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise SampleFormatError(f"{where}: symbolic links are not allowed")
        # Folders, and the metadata macOS adds when it compresses a folder, carry no samples.
        if info.is_dir() or parts[0] == "__MACOSX":
            continue
        match = _ZIP_MEMBER.fullmatch(name)
        if not match:
            raise SampleFormatError(f"{where}: not a sample file name (HumanEval_N/M.py)")
        if info.flag_bits & 0x1:
            raise SampleFormatError(f"{where}: encrypted members are not supported")
        key = (int(match[1]), int(match[2]))
        if key in found:
            raise SampleFormatError(f"{where}: same sample as zip member {found[key][0]}")
        try:
            content = archive.read(info)
        # zlib.error and lzma.LZMAError: corrupt compressed data (bz2 raises OSError).
        except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError, OSError,
                zlib.error, lzma.LZMAError) as exc:
            raise SampleFormatError(f"{where}: cannot be read ({_one_line(exc)})") from None
        found[key] = (_shown(name, quote=False), _decode(content, where))
    return found


def _decode(data: bytes, where: str) -> str:
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise SampleFormatError(f"{where}: not valid UTF-8 at line {line}") from None


def _whole_document(text: str) -> object:
    """The text as one JSON document, or None when it is JSON Lines."""
    stripped = text.lstrip()
    if not stripped:  # only whitespace that bytes.strip() does not know, such as U+00A0
        raise SampleFormatError("file is empty")
    first = stripped[0]
    if first not in "[{":
        raise SampleFormatError(
            "not a sample file: expected a JSON list or object, JSON Lines or a zip archive"
        )
    try:
        return _loads(text)
    except SampleFormatError:
        # Several objects, one a line, is JSON Lines: its reader reports errors by line.
        first_line = stripped.split("\n", 1)[0]
        if first == "{" and isinstance(_loads_or_none(first_line), dict):
            return None
        raise


def _loads_or_none(text: str) -> object:
    try:
        return _loads(text)
    except SampleFormatError:
        return None


def _loads(text: str, line_number: int | None = None) -> object:
    try:
        # Numbers are never samples; reading them as floats avoids int()'s digit limit.
        return json.loads(text, parse_int=float, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        line = exc.lineno if line_number is None else line_number
        raise SampleFormatError(
            f"not valid JSON at line {line} column {exc.colno} ({exc.msg})"
        ) from None
    except _DuplicateKey as exc:
        place = "" if line_number is None else f" at line {line_number}"
        raise SampleFormatError(f"key {_shown(exc.args[0])}{place} appears twice") from None
    except RecursionError:
        raise SampleFormatError("not valid JSON: nested too deeply") from None


class _DuplicateKey(Exception):
    pass


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    # json keeps the last of repeated keys silently; a repeated problem would lose samples.
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _kind(value: object) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _shown(text: str, quote: bool = True, limit: int = 80) -> str:
    """User-supplied text made safe for a one-line message."""
    if len(text) > limit:
        text = text[:limit] + "..."
    if quote or not text.isprintable():
        return repr(text)
    return text


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _megabytes(size: int) -> str:
    return f"{size / 1024**2:.1f} MB"
