"""Cgroups that bound a sandbox's processes all together (stdlib only, no Django).

Per-process limits let a run's processes use, together, many times the memory one may, and
RLIMIT_NPROC does not bind root at all. Where the worker may make cgroups (as root, or in a
subtree delegated to it), each zygote gets one of its own below the worker's, with a memory
and a process limit on everything in it: bwrap, the zygote, its children and whatever they
start, including files in the sandbox's tmpfs (charged as memory). cgroup v2 where the unified
hierarchy has the memory and pids controllers, v1's memory and pids hierarchies otherwise.
"""

import contextlib
import itertools
import logging
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

logger = logging.getLogger(__name__)

CONTROLLERS = ("memory", "pids")
# How long the processes left in a cgroup get to die before it is given up on.
REMOVE_SECONDS = 2.0
# Limits on swap, left out where the kernel has no swap (accounting).
SWAP_LIMITS = ("memory.swap.max", "memory.memsw.limit_in_bytes")
# Our cgroups are named PREFIX, the worker's pid, "-" and a serial number.
PREFIX = "effboard-"
_serial = itertools.count()


class Parents(NamedTuple):
    """Where our cgroups go: v2's one directory, or v1's memory and pids directories."""

    version: int
    directories: tuple[Path, ...]


class Mount(NamedTuple):
    fstype: str  # "cgroup2" or "cgroup"
    root: str  # the cgroup the mount shows at its mount point
    point: str
    options: frozenset[str]  # the superblock's: a v1 hierarchy's controllers are among them


def find_parents() -> Parents | None:
    """The cgroups of this process in which it may make cgroups with memory and pids limits
    (v2 preferred), or None if there are none."""
    try:
        mounts = cgroup_mounts()
        own = own_cgroups()
    except OSError:
        return None
    for mount in mounts:
        if mount.fstype == "cgroup2" and "" in own:
            directory = cgroup_directory(mount, own[""])
            if directory is not None and v2_delegated(directory):
                return Parents(2, (directory,))
    directories = []
    for controller in CONTROLLERS:
        found = [cgroup_directory(mount, own[controller]) for mount in mounts
                 if mount.fstype == "cgroup" and controller in mount.options and controller in own]
        directory = next((path for path in found if path is not None), None)
        if directory is None or not os.access(directory, os.W_OK):
            return None
        directories.append(directory)
    return Parents(1, tuple(directories))


def cgroup_mounts() -> list[Mount]:
    mounts = []
    with open("/proc/self/mountinfo") as mountinfo:
        for line in mountinfo:
            head, _, rest = line.partition(" - ")
            fields, tail = head.split(), rest.split()
            if len(fields) >= 5 and len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
                mounts.append(Mount(tail[0], fields[3], fields[4],
                                    frozenset(tail[2].split(","))))
    return mounts


def own_cgroups() -> dict[str, str]:
    """Our cgroup per v1 controller, and under "" in v2."""
    own = {}
    with open("/proc/self/cgroup") as cgroups:
        for line in cgroups:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                own[controller] = path
    return own


def cgroup_directory(mount: Mount, path: str) -> Path | None:
    """Where the cgroup `path` is under `mount`, if the mount shows it."""
    if path != mount.root and not path.startswith(mount.root.rstrip("/") + "/"):
        return None
    directory = Path(mount.point, os.path.relpath(path, mount.root))
    return directory if directory.is_dir() else None


def v2_delegated(directory: Path) -> bool:
    """Whether cgroups made in `directory` get the memory and pids controllers, enabling them
    for its children if need be (which v2 refuses while it holds processes of its own)."""
    try:
        available = (directory / "cgroup.controllers").read_text().split()
        if not all(controller in available for controller in CONTROLLERS):
            return False
        enabled = (directory / "cgroup.subtree_control").read_text().split()
        missing = [controller for controller in CONTROLLERS if controller not in enabled]
        if missing:
            (directory / "cgroup.subtree_control").write_text(
                " ".join(f"+{controller}" for controller in missing))
    except OSError:
        return False
    return os.access(directory, os.W_OK)


def remove_abandoned(parent: Path) -> None:
    """Removes the cgroups a worker that died (killed, say) left behind: empty ones only,
    rmdir refuses the others."""
    for directory in parent.glob(f"{PREFIX}*-*"):
        pid = directory.name[len(PREFIX):].split("-")[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                directory.rmdir()
        except OSError:  # alive, and not ours to signal
            pass


class Cgroup:
    """One sandbox's cgroup: made with its limits, joined by the sandbox's first process
    before that forks, and removed with whatever is still in it."""

    def __init__(self, version: int, directories: tuple[Path, ...]) -> None:
        self.version = version
        self.directories = directories

    @classmethod
    def create(cls, parents: Parents, memory_bytes: int, max_processes: int) -> "Cgroup":
        """A new cgroup below `parents`; raises OSError if it cannot be made."""
        for parent in parents.directories:
            remove_abandoned(parent)
        name = f"{PREFIX}{os.getpid()}-{next(_serial)}"
        cgroup = cls(parents.version, tuple(parent / name for parent in parents.directories))
        if cgroup.version == 2:
            [directory] = cgroup.directories
            limits = [(directory, "memory.max", memory_bytes),
                      (directory, "pids.max", max_processes),
                      (directory, "memory.swap.max", 0)]
        else:
            memory, pids = cgroup.directories
            # memsw (memory and swap together): with swap accounting, no swap beyond the limit.
            limits = [(memory, "memory.limit_in_bytes", memory_bytes),
                      (pids, "pids.max", max_processes),
                      (memory, "memory.memsw.limit_in_bytes", memory_bytes)]
        try:
            for directory in cgroup.directories:
                directory.mkdir()
            for directory, name, value in limits:
                if name in SWAP_LIMITS and not (directory / name).exists():
                    continue
                (directory / name).write_text(str(value))
        except BaseException:
            cgroup.remove()
            raise
        return cgroup

    @contextlib.contextmanager
    def joining(self) -> Iterator[Callable[[], None]]:
        """A function for subprocess's preexec_fn that moves the new process into this cgroup
        before it runs anything, so all it forks starts inside. The files are opened here, by
        the worker: the new process may already have dropped to the sandbox's uid."""
        fds = [os.open(directory / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC)
               for directory in self.directories]

        def join() -> None:
            for fd in fds:
                os.write(fd, b"0")  # "0": the writing process

        try:
            yield join
        finally:
            for fd in fds:
                os.close(fd)

    def remove(self) -> None:
        """Kills every process still in the cgroup, then removes it (logs if it cannot)."""
        deadline = time.monotonic() + REMOVE_SECONDS
        for directory in self.directories:
            while directory.exists():
                try:
                    directory.rmdir()
                except FileNotFoundError:
                    break
                except OSError as exc:  # busy: processes left, or on their way out
                    if time.monotonic() > deadline:
                        logger.warning("cgroup %s left behind: %s", directory, exc)
                        break
                    self.kill(directory)
                    time.sleep(0.01)

    @staticmethod
    def kill(directory: Path) -> None:
        try:
            pids = [int(pid) for pid in (directory / "cgroup.procs").read_text().split()]
        except OSError:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
