"""The sandbox's files: copies on a tmpfs, never the host's own (evaluation.runtime_image)."""

import os
import shutil

import pytest

from evaluation import runtime_image
from evaluation.sandbox import ZYGOTE_SCRIPT, base_interpreter, bubblewrap_command

pytestmark = pytest.mark.skipif(
    not os.path.isdir("/dev/shm") or runtime_image.mount_type("/dev/shm") != "tmpfs",
    reason="no tmpfs at /dev/shm")


def bound_sources(command: list[str]) -> list[str]:
    return [command[index + 1] for index, word in enumerate(command) if word == "--ro-bind"]


@pytest.mark.parametrize("sandbox_uid", [None, 1_000_000_000], ids=["user", "root"])
def test_the_sandbox_binds_only_copies_on_the_tmpfs(sandbox_uid):
    base = runtime_image.tmpfs_base()
    sources = bound_sources(bubblewrap_command(base_interpreter(), sandbox_uid))
    assert sources
    for source in sources:
        assert source.startswith(base + "/effboard-"), source
        assert runtime_image.mount_type(source) == "tmpfs", source


def test_the_image_runs_the_interpreter_and_the_zygote_is_a_copy():
    root = runtime_image.runtime_image(base_interpreter())
    python = root + base_interpreter()
    assert os.path.isfile(python) and os.access(python, os.X_OK)
    stdlib = root + runtime_image.stdlib_dir()
    assert os.path.isfile(os.path.join(stdlib, "os.py"))
    assert not os.path.exists(os.path.join(stdlib, "test"))
    copy = runtime_image.file_copy(str(ZYGOTE_SCRIPT))
    assert open(copy, "rb").read() == ZYGOTE_SCRIPT.read_bytes()
    assert not os.stat(copy).st_mode & 0o222  # read-only


def test_a_removed_image_is_built_again(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime_image, "tmpfs_base", lambda: str(tmp_path))
    program = os.path.realpath(shutil.which("true") or "/bin/true")
    root = runtime_image.runtime_image(base_interpreter(), (program,))
    assert root.startswith(str(tmp_path))
    assert os.path.isfile(root + program)
    shutil.rmtree(os.path.dirname(root))
    assert runtime_image.runtime_image(base_interpreter(), (program,)) == root
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
