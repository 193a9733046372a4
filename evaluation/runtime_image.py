"""The files a bubblewrap sandbox sees, copied into memory (a tmpfs) once per machine.

Why not bind the host's own files: their pages in the page cache are state the whole host
shares. A run can evict pages of any file it can read (posix_fadvise) and load others, and a
later run, or another sandbox, can tell which are cached (timing a read, preadv2 with
RWF_NOWAIT, mincore after fault-around, /proc/self/pagemap): hundreds of bits from one run to
the next. A tmpfs file's pages are the file itself, always resident unless the host swaps, and
fadvise does nothing to them; so the sandbox binds only these copies, read-only: the
interpreter, its standard library, the shared libraries they load, and the zygote script.

Stdlib only, no Django: the sandbox module builds the image on first use. An image is kept
under the first tmpfs of TMPFS_CANDIDATES, named by what it was built from, so every worker on
the machine shares one and a new Python installation gets a new one. The zygote script, which
changes with Effboard, is copied apart (`file_copy`), so that each version does not make a
whole new image.

Each is handed out as a `Lease`, a shared lock held while a sandbox binds it; each lease taken
removes this user's images and copies that no one holds (`remove_unused`), so that a new
Python, library or zygote leaves no 80 MB behind it, and nothing a running sandbox binds goes.
"""

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterator
from pathlib import Path

TMPFS_CANDIDATES = ("/dev/shm", os.environ.get("XDG_RUNTIME_DIR", ""), f"/run/user/{os.getuid()}")
FORMAT_VERSION = "2"
# What no sample runs: the standard library's tests, GUIs and installers, the static library,
# and installed packages (not on a sandboxed path, as the interpreter runs with -I -S).
STDLIB_LEFT_OUT = ("test", "site-packages", "idlelib", "tkinter", "turtledemo", "ensurepip",
                   "config-")
EXTENSIONS_LEFT_OUT = ("_tkinter",)  # tkinter's, with the X11 libraries it loads
# Top-level host paths that may be symlinks (merged /usr): recreated as such in the sandbox.
TOP_LEVEL_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
LOADER_CACHE = "/etc/ld.so.cache"
COMPLETE_MARKER = ".complete"
# This user's images and copies, and their staging names (NAME.PID.tmp): what remove_unused
# may remove.
OUR_NAMES = re.compile(rf"effboard-(sandbox|file)-{os.getuid()}-[0-9a-f]{{16}}(\.[0-9]+\.tmp)?")
LEASE_ATTEMPTS = 3


class RuntimeImageError(OSError):
    """No image can be made here (no tmpfs we may write, or copying failed)."""


def mount_type(path: str) -> str:
    """The filesystem type of the mount that holds `path` (its longest mount point prefix)."""
    real = os.path.realpath(path)
    best, fstype = "", ""
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            fields = line.split()
            point = fields[1].replace("\\040", " ")
            inside = real == point or real.startswith(point.rstrip("/") + "/")
            if inside and len(point) >= len(best):
                best, fstype = point, fields[2]
    return fstype


def tmpfs_base() -> str:
    """The first of TMPFS_CANDIDATES that is a tmpfs we may write."""
    for candidate in TMPFS_CANDIDATES:
        if candidate and os.path.isdir(candidate) and os.access(candidate, os.W_OK | os.X_OK) \
                and mount_type(candidate) == "tmpfs":
            return candidate
    raise RuntimeImageError(
        "no tmpfs to hold the sandbox's files (about 100 MB): mount one at /dev/shm")


def stdlib_dir() -> str:
    return os.path.realpath(sysconfig.get_path("stdlib", vars={"installed_base":
                                                               sys.base_prefix}))


def image_key(python: str, programs: list[str]) -> str:
    """Names an image by what it is built from: a changed interpreter, standard library,
    system library (ldconfig rewrites its cache) or program makes a new one."""
    digest = hashlib.sha256(FORMAT_VERSION.encode())
    for path in [python, stdlib_dir(), os.path.join(stdlib_dir(), "lib-dynload"),
                 LOADER_CACHE, *programs]:
        try:
            status = os.stat(path)
            digest.update(f"{path}\0{status.st_size}\0{status.st_mtime_ns}\0".encode())
        except FileNotFoundError:
            digest.update(f"{path}\0missing\0".encode())
    return f"{os.getuid()}-{digest.hexdigest()[:16]}"


def shared_libraries(paths: list[str]) -> set[str]:
    """Every shared library the dynamic loader would load for `paths` (by ldd)."""
    libraries: set[str] = set()
    for path in paths:
        result = subprocess.run(["ldd", path], capture_output=True, text=True, check=False)
        for line in result.stdout.splitlines():
            parts = line.split()
            if "=>" in parts and len(parts) > parts.index("=>") + 1:
                candidate = parts[parts.index("=>") + 1]
            elif parts and parts[0].startswith("/"):
                candidate = parts[0]  # the loader itself
            else:
                continue
            if candidate.startswith("/"):
                libraries.add(candidate)
    return libraries


def wanted_stdlib_files(root: str) -> list[str]:
    files = []
    for directory, subdirectories, names in os.walk(root):
        if directory == root:
            subdirectories[:] = [name for name in subdirectories
                                 if not name.startswith(STDLIB_LEFT_OUT)]
        for name in names:
            if ".opt-" not in name and not name.startswith(EXTENSIONS_LEFT_OUT):  # no -O
                files.append(os.path.join(directory, name))
    return files


class ImageBuilder:
    """Copies host files into `root`, each at its own absolute path beneath it."""

    def __init__(self, root: str) -> None:
        self.root = root

    def target(self, path: str) -> str:
        # Directories resolved (a merged /usr's /lib64 lands in /usr/lib64), the name kept:
        # a library named through a symlink stays a symlink.
        real_parent = os.path.realpath(os.path.dirname(path))
        return self.root + os.path.join(real_parent, os.path.basename(path))

    def add(self, path: str) -> None:
        target = self.target(path)
        if os.path.lexists(target):
            return
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        if os.path.islink(path):
            link = os.readlink(path)
            os.symlink(link, target)
            self.add(os.path.join(os.path.dirname(path), link))
            return
        shutil.copyfile(path, target)
        os.chmod(target, 0o755 if os.access(path, os.X_OK) else 0o644)
        # With its times: a module's cached bytecode records its source's, and one that no
        # longer matches is compiled afresh on every import (-B saves nothing), 5 to 10
        # times slower, which could put an honest program's imports past their deadline.
        status = os.stat(path)
        os.utime(target, ns=(status.st_atime_ns, status.st_mtime_ns))


def build(destination: str, python: str, programs: list[str]) -> None:
    """Fills `destination` with the image (see the module docstring)."""
    builder = ImageBuilder(os.path.join(destination, "root"))
    stdlib = stdlib_dir()
    stdlib_files = wanted_stdlib_files(stdlib)
    extensions = [path for path in stdlib_files if path.endswith(".so")]
    for path in [python, *programs, *shared_libraries([python, *programs, *extensions]),
                 *stdlib_files]:
        builder.add(path)
    if os.path.exists(LOADER_CACHE):
        builder.add(LOADER_CACHE)
    for directory, _, _ in os.walk(destination):
        os.chmod(directory, 0o755)
    Path(destination, COMPLETE_MARKER).touch()


class Lease:
    """A shared lock on an image or a file copy, taken before a sandbox binds it: while it is
    held, remove_unused leaves that one alone. The lock lives in the worker (the descriptor is
    close-on-exec, never the sandbox's, whose view of the host it would widen)."""

    def __init__(self, path: str, fd: int) -> None:
        self.path = path  # what to bind
        self._fd = fd

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def runtime_image(python: str, programs: tuple[str, ...] = ()) -> Lease:
    """A lease on the image's root directory, built once per machine and key (and again
    should it be removed): `python` with its standard library and libraries, and each
    executable of `programs` with its libraries."""
    base = tmpfs_base()
    image = os.path.join(base, f"effboard-sandbox-{image_key(python, list(programs))}")

    def make() -> None:
        staging = f"{image}.{os.getpid()}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        os.mkdir(staging, 0o755)
        # Held while it is built, so that remove_unused elsewhere leaves it alone.
        with locked(staging, fcntl.LOCK_EX):
            try:
                build(staging, python, list(programs))
                publish(staging, image)
            finally:
                shutil.rmtree(staging, ignore_errors=True)

    try:
        fd = leased(image, make, directory=True)
    except OSError as exc:
        raise RuntimeImageError(f"cannot build the sandbox's files (about 100 MB) in {base}: "
                                f"{exc}") from None
    return Lease(os.path.join(image, "root"), fd)


def file_copy(path: str) -> Lease:
    """A lease on a read-only copy of the file at `path` on the tmpfs, named by its content."""
    content = Path(path).read_bytes()
    base = tmpfs_base()
    copy = os.path.join(base, f"effboard-file-{os.getuid()}-"
                              f"{hashlib.sha256(content).hexdigest()[:16]}")

    def make() -> None:
        staging = f"{copy}.{os.getpid()}.tmp"
        try:
            fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o444)
            with open(fd, "wb") as staged:
                # Held while it is written, so that remove_unused elsewhere leaves it alone.
                fcntl.flock(fd, fcntl.LOCK_EX)
                staged.write(content)
                staged.flush()
                publish(staging, copy)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(staging)

    try:
        fd = leased(copy, make, directory=False)
    except OSError as exc:
        raise RuntimeImageError(f"cannot copy {path} to {base}: {exc}") from None
    return Lease(copy, fd)


def leased(path: str, make: Callable[[], None], directory: bool) -> int:
    """A descriptor holding a shared lock on `path`, made first if it is missing; then this
    user's files that no one holds are removed.

    remove_unused renames what it removes while it holds the exclusive lock, so a lock taken
    on the file still at `path` is one on a file that stays."""
    for _ in range(LEASE_ATTEMPTS):
        if not os.path.exists(path):
            try:
                make()
            except FileNotFoundError:
                continue  # its staging was taken for a leftover and removed: made again
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            continue  # removed as unused between the two
        fcntl.flock(fd, fcntl.LOCK_SH)
        if is_at(fd, path):
            try:
                checked(path, directory)
            except OSError:
                os.close(fd)
                raise
            remove_unused(os.path.dirname(path))
            return fd
        os.close(fd)
    raise RuntimeImageError(f"{path} was removed {LEASE_ATTEMPTS} times while it was leased")


def remove_unused(base: str) -> list[str]:
    """Removes this user's images, copies and staging files in `base` that no one holds (a
    lease, or a build under way); returns their names."""
    removed = []
    for name in sorted(os.listdir(base)):
        if not OUR_NAMES.fullmatch(name):
            continue
        path = os.path.join(base, name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue  # gone already, or a symlink: not ours to follow
        try:
            if os.fstat(fd).st_uid != os.getuid():
                continue
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if not is_at(fd, path):
                continue  # removed by another process meanwhile
            # Out of the way first, under the lock: a lease taken after this finds no file
            # there, and should we stop halfway, what is left is an unheld staging name.
            doomed = path if name.endswith(".tmp") else f"{path}.{os.getpid()}.tmp"
            os.rename(path, doomed)
            if os.path.isdir(doomed):
                shutil.rmtree(doomed, ignore_errors=True)
            else:
                os.unlink(doomed)
            removed.append(name)
        except BlockingIOError:
            pass  # held
        finally:
            os.close(fd)
    return removed


@contextlib.contextmanager
def locked(path: str, operation: int) -> Iterator[None]:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, operation)
        yield
    finally:
        os.close(fd)


def is_at(fd: int, path: str) -> bool:
    """Whether `fd` is open on the file now at `path`."""
    try:
        return os.path.samestat(os.fstat(fd), os.lstat(path))
    except FileNotFoundError:
        return False


def publish(staging: str, final: str) -> None:
    """Renames `staging` to `final`, unless another process published it first."""
    try:
        os.rename(staging, final)
    except OSError:
        if not os.path.exists(final):
            raise


def checked(path: str, directory: bool) -> None:
    """Raises unless `path` is ours to trust: made by this uid, writable by no one else, and
    (an image) complete. The tmpfs is shared; what another user left there is refused."""
    status = os.lstat(path)
    kind_ok = stat.S_ISDIR(status.st_mode) if directory else stat.S_ISREG(status.st_mode)
    complete = not directory or os.path.exists(os.path.join(path, COMPLETE_MARKER))
    if not kind_ok or status.st_uid != os.getuid() or status.st_mode & 0o022 or not complete:
        raise RuntimeImageError(f"{path} is not a sandbox file this user made")


def bind_arguments(root: str) -> list[str]:
    """bwrap arguments that show the image at `root` as the sandbox's read-only system."""
    arguments = []
    for name in TOP_LEVEL_LINKS:
        host_path = f"/{name}"
        if os.path.islink(host_path):
            arguments += ["--symlink", os.readlink(host_path), host_path]
    for name in sorted(os.listdir(root)):
        arguments += ["--ro-bind", os.path.join(root, name), f"/{name}"]
    return arguments
