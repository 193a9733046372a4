"""The sandbox's seccomp filter: what it decides for each system call, run through a small
classic-BPF interpreter, and that a process the zygote puts under it lives with it."""

import ctypes
import errno
import os
import re
import struct
import threading
from pathlib import Path

import pytest

from evaluation import seccomp
from evaluation.seccomp import (
    ARCHITECTURES,
    DENIED,
    INSTRUCTION,
    SECCOMP_RET_ALLOW,
    SECCOMP_RET_ERRNO,
    SECCOMP_RET_KILL_PROCESS,
    build_filter,
)

EPERM = SECCOMP_RET_ERRNO | errno.EPERM
ENOSYS = SECCOMP_RET_ERRNO | errno.ENOSYS
BPF_MAXINSNS = 4096
SECCOMP_DATA = struct.Struct("=iIQ6Q")  # struct seccomp_data
FORK_FLAGS = 0x01200011  # CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD, as fork()
THREAD_FLAGS = 0x003D0F00  # what glibc's pthread_create passes to clone
# Not in the filter's table: read, write and mmap on x86_64, read, write and openat on aarch64.
PLAIN_CALLS = {"x86_64": (0, 1, 9), "aarch64": (63, 64, 56)}
HEADERS = {
    "x86_64": ("/usr/include/x86_64-linux-gnu/asm/unistd_64.h", r"#define __NR_(\w+)\s+(\d+)"),
    "aarch64": ("/usr/include/asm-generic/unistd.h", r"#define __NR(?:3264)?_(\w+)\s+(\d+)"),
}


def decide(program: bytes, nr: int, arch: int, *args: int) -> int:
    """What the kernel's classic BPF would return for a call; fails on a jump out of bounds."""
    data = SECCOMP_DATA.pack(nr, arch, 0, *(args + (0,) * (6 - len(args))))
    instructions = list(INSTRUCTION.iter_unpack(program))
    at, accumulator = 0, 0
    while True:
        code, jump_true, jump_false, k = instructions[at]
        if code == seccomp.BPF_RET_K:
            return k
        if code == seccomp.BPF_LD_W_ABS:
            (accumulator,) = struct.unpack_from("=I", data, k)
            at += 1
            continue
        taken = {seccomp.BPF_JEQ_K: accumulator == k, seccomp.BPF_JGE_K: accumulator >= k,
                 seccomp.BPF_JSET_K: bool(accumulator & k)}[code]
        at += 1 + (jump_true if taken else jump_false)


@pytest.fixture(params=sorted(ARCHITECTURES))
def machine(request) -> str:
    return request.param


def test_the_program_is_whole_instructions_within_the_kernels_bound(machine):
    built = build_filter(machine)
    assert built.machine == machine and not built.reason
    assert len(built.program) % INSTRUCTION.size == 0
    assert 0 < len(built.program) // INSTRUCTION.size <= BPF_MAXINSNS


def test_an_unknown_machine_gets_no_filter_and_is_told_why():
    built = build_filter("riscv64")
    assert built.program == b""
    assert "riscv64" in built.reason


def test_every_denied_call_fails_with_eperm(machine):
    architecture = ARCHITECTURES[machine]
    program = build_filter(machine).program
    denied = [name for name in DENIED if name in architecture.syscalls]
    # Only x86's own calls are missing from the generic table.
    assert set(DENIED) - set(denied) <= ({"iopl", "ioperm", "uselib", "_sysctl", "utime",
                                           "utimes", "futimesat"}
                                          if machine == "aarch64" else set())
    for name in denied:
        assert decide(program, architecture.syscalls[name], architecture.audit_arch) == EPERM, name


def test_plain_calls_are_allowed(machine):
    architecture = ARCHITECTURES[machine]
    program = build_filter(machine).program
    for nr in PLAIN_CALLS[machine]:
        assert decide(program, nr, architecture.audit_arch) == SECCOMP_RET_ALLOW, nr


def test_clone_is_allowed_without_namespace_flags_and_clone3_falls_back(machine):
    architecture = ARCHITECTURES[machine]
    program, clone = build_filter(machine).program, architecture.syscalls["clone"]
    assert decide(program, clone, architecture.audit_arch, FORK_FLAGS) == SECCOMP_RET_ALLOW
    assert decide(program, clone, architecture.audit_arch, THREAD_FLAGS) == SECCOMP_RET_ALLOW
    for bit in range(32):
        if 1 << bit & seccomp.NAMESPACE_FLAGS:
            flags = FORK_FLAGS | 1 << bit
            assert decide(program, clone, architecture.audit_arch, flags) == EPERM, hex(flags)
    assert decide(program, architecture.syscalls["clone3"], architecture.audit_arch) == ENOSYS


def test_only_the_default_personality_can_be_set(machine):
    architecture = ARCHITECTURES[machine]
    program, personality = build_filter(machine).program, architecture.syscalls["personality"]
    for persona, decision in ((0xFFFFFFFF, SECCOMP_RET_ALLOW), (0, SECCOMP_RET_ALLOW),
                              (0x0040000, EPERM), (0x0400000, EPERM), (0x0008, EPERM)):
        assert decide(program, personality, architecture.audit_arch, persona) == decision


def test_another_abi_is_killed(machine):
    architecture = ARCHITECTURES[machine]
    program = build_filter(machine).program
    for nr in PLAIN_CALLS[machine]:
        assert decide(program, nr, 0x40000003) == SECCOMP_RET_KILL_PROCESS  # i386
        if architecture.x32_bit:
            x32 = nr | seccomp.X32_SYSCALL_BIT
            assert decide(program, x32, architecture.audit_arch) == SECCOMP_RET_KILL_PROCESS


def test_the_numbers_are_the_kernel_headers(machine):
    path, pattern = HEADERS[machine]
    if not Path(path).is_file():
        pytest.skip(f"{path} is not installed")
    numbers = {name: int(nr) for name, nr in re.findall(pattern, Path(path).read_text())}
    for name, nr in ARCHITECTURES[machine].syscalls.items():
        assert numbers.get(name) == nr, name


def test_the_zygote_installs_the_filter_in_a_process_of_its_own():
    from evaluation import zygote  # a script, importable: main() runs only as __main__

    built = build_filter()
    if not built.program:
        pytest.skip(built.reason)
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            zygote.load_syscall_filter(built.program.hex())
            zygote.install_syscall_filter()
            libc = ctypes.CDLL(None, use_errno=True)
            queue = libc.mq_open(b"/effboard-test", os.O_RDONLY), ctypes.get_errno()
            thread = threading.Thread(target=os.getpid)  # clone3 refused, clone used
            thread.start()
            thread.join()
            forked = os.fork()
            if forked == 0:
                os._exit(3)
            child_exit = os.waitstatus_to_exitcode(os.waitpid(forked, 0)[1])
            os.write(writable, repr((queue, child_exit)).encode())
        finally:
            os._exit(0)
    os.close(writable)
    os.waitpid(pid, 0)
    with os.fdopen(readable) as report:
        assert report.read() == repr(((-1, errno.EPERM), 3))
    # This process, the zygote's stand-in, is not filtered.
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.mq_open(b"/effboard-test", os.O_RDONLY) == -1
    assert ctypes.get_errno() == errno.ENOENT
