"""The sandbox's files: copies on a tmpfs, never the host's own (evaluation.runtime_image)."""

import fcntl
import importlib.util
import os
import pickle
import shutil
import struct

import pytest

from evaluation import runtime_image
from evaluation.sandbox import (
    ZYGOTE_SCRIPT,
    Sandbox,
    base_interpreter,
    bubblewrap_command,
    sandbox_programs,
)

pytestmark = pytest.mark.skipif(
    not os.path.isdir("/dev/shm") or runtime_image.mount_type("/dev/shm") != "tmpfs",
    reason="no tmpfs at /dev/shm")


def bound_sources(command: list[str]) -> list[str]:
    return [command[index + 1] for index, word in enumerate(command) if word == "--ro-bind"]


@pytest.mark.parametrize("sandbox_uid", [None, 1_000_000_000], ids=["user", "root"])
def test_the_sandbox_binds_only_copies_on_the_tmpfs(sandbox_uid):
    base = runtime_image.tmpfs_base()
    image = runtime_image.runtime_image(base_interpreter(), sandbox_programs(sandbox_uid))
    zygote = runtime_image.file_copy(str(ZYGOTE_SCRIPT))
    try:
        sources = bound_sources(bubblewrap_command(base_interpreter(), sandbox_uid, image.path,
                                                   zygote.path))
    finally:
        image.release()
        zygote.release()
    assert sources
    for source in sources:
        assert source.startswith(base + "/effboard-"), source
        assert runtime_image.mount_type(source) == "tmpfs", source


def test_the_image_runs_the_interpreter_and_the_zygote_is_a_copy():
    image = runtime_image.runtime_image(base_interpreter())
    image.release()
    root = image.path
    python = root + base_interpreter()
    assert os.path.isfile(python) and os.access(python, os.X_OK)
    stdlib = root + runtime_image.stdlib_dir()
    assert os.path.isfile(os.path.join(stdlib, "os.py"))
    assert not os.path.exists(os.path.join(stdlib, "test"))
    lease = runtime_image.file_copy(str(ZYGOTE_SCRIPT))
    lease.release()
    copy = lease.path
    assert open(copy, "rb").read() == ZYGOTE_SCRIPT.read_bytes()
    assert not os.stat(copy).st_mode & 0o222  # read-only


def test_the_image_s_cached_bytecode_is_valid_for_its_sources():
    image = runtime_image.runtime_image(base_interpreter())
    image.release()
    source = image.path + os.path.join(runtime_image.stdlib_dir(), "difflib.py")
    cached = importlib.util.cache_from_source(source)
    header = open(cached, "rb").read(16)
    # As the import system checks it (PEP 552): unless the source's time and size are the
    # ones recorded, the module is compiled again on every import.
    flags, mtime, size = struct.unpack("<III", header[4:16])
    assert flags == 0
    assert (mtime, size) == (int(os.stat(source).st_mtime) & 0xFFFFFFFF, os.stat(source).st_size)


def test_a_removed_image_is_built_again(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime_image, "tmpfs_base", lambda: str(tmp_path))
    program = os.path.realpath(shutil.which("true") or "/bin/true")
    image = runtime_image.runtime_image(base_interpreter(), (program,))
    image.release()
    root = image.path
    assert root.startswith(str(tmp_path))
    assert os.path.isfile(root + program)
    shutil.rmtree(os.path.dirname(root))
    image = runtime_image.runtime_image(base_interpreter(), (program,))
    image.release()
    assert image.path == root
    assert os.path.isfile(root + program)
    assert [path.name for path in tmp_path.iterdir()] == [os.path.basename(os.path.dirname(root))]


def test_what_another_user_could_have_made_is_refused(tmp_path):
    image = tmp_path / "image"
    image.mkdir(0o755)
    (image / runtime_image.COMPLETE_MARKER).touch()
    runtime_image.checked(str(image), directory=True)
    os.chmod(image, 0o775)  # writable by the group
    with pytest.raises(runtime_image.RuntimeImageError, match="not a sandbox file"):
        runtime_image.checked(str(image), directory=True)
    os.chmod(image, 0o755)
    (image / runtime_image.COMPLETE_MARKER).unlink()  # half-built
    with pytest.raises(runtime_image.RuntimeImageError):
        runtime_image.checked(str(image), directory=True)
    link = tmp_path / "link"
    link.symlink_to(image)
    with pytest.raises(runtime_image.RuntimeImageError):
        runtime_image.checked(str(link), directory=True)


def our_name(kind: str, digit: str, staging: str = "") -> str:
    return f"effboard-{kind}-{os.getuid()}-{digit * 16}{staging}"


def test_what_no_one_holds_is_removed_and_what_is_held_stays(tmp_path, monkeypatch):
    base = tmp_path / "shm"
    base.mkdir()
    monkeypatch.setattr(runtime_image, "tmpfs_base", lambda: str(base))
    sources = tmp_path / "sources"
    sources.mkdir()
    for name in "abc":
        (sources / name).write_text(name)
    unused = runtime_image.file_copy(str(sources / "a"))
    unused.release()
    held = runtime_image.file_copy(str(sources / "b"))
    # A staging folder its builder died over, one whose build is under way (locked), and
    # files that are not ours to remove.
    (base / our_name("sandbox", "1", ".12345.tmp") / "root").mkdir(parents=True)
    building = base / our_name("sandbox", "2", ".12346.tmp")
    building.mkdir()
    others = [base / "PostgreSQL.1234", base / f"effboard-file-{os.getuid() + 1}-{'3' * 16}",
              base / our_name("file", "4", ".tmp.old")]
    for other in others:
        other.write_text("")
    with runtime_image.locked(str(building), fcntl.LOCK_EX):
        third = runtime_image.file_copy(str(sources / "c"))  # leasing removes the unused
    assert sorted(path.name for path in base.iterdir()) == sorted(
        [os.path.basename(held.path), os.path.basename(third.path), building.name,
         *(other.name for other in others)])
    assert open(held.path).read() == "b"
    held.release()
    third.release()
    assert runtime_image.remove_unused(str(base)) == sorted(
        [building.name, os.path.basename(held.path), os.path.basename(third.path)])


def test_a_lease_on_a_copy_removed_meanwhile_makes_it_again(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime_image, "tmpfs_base", lambda: str(tmp_path))
    source = tmp_path / "source"
    source.write_text("zygote")
    first = runtime_image.file_copy(str(source))
    first.release()
    # As remove_unused does it: renamed, then removed, under an exclusive lock.
    real_open = os.open

    def removed_before_the_lock(path, flags, *args):
        fd = real_open(path, flags, *args)
        if path == first.path and not flags & os.O_WRONLY:
            os.rename(path, path + ".1.tmp")
            os.unlink(path + ".1.tmp")
            monkeypatch.setattr(os, "open", real_open)
        return fd

    monkeypatch.setattr(os, "open", removed_before_the_lock)
    second = runtime_image.file_copy(str(source))
    assert second.path == first.path and open(second.path).read() == "zygote"
    second.release()


def test_a_running_sandbox_keeps_its_files_whatever_another_removes():
    with Sandbox(isolation="bubblewrap") as box:
        removed = runtime_image.remove_unused(runtime_image.tmpfs_base())
        # A module the zygote has not imported yet is read from the image now.
        program = "import difflib\n\ndef f(x):\n    return difflib.get_close_matches(x, ['ape'])\n"
        [run] = box.run_calls(program, "f", [(pickle.dumps(("apt",)), 10.0)])
    assert run.status == "ok", (run.error, removed)
    assert run.output == ["ape"]
