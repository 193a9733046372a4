"""The seccomp filter every child of the sandbox runs under (stdlib only, no Django).

A deny-list: system calls a sample has no use for and that would let it leave state for later
runs (keyrings, POSIX message queues), make namespaces (a user namespace gives root in it, even
to the root path's unprivileged uid), reach other processes (ptrace and kin), start a new
program (which resets the peak memory the zygote reads), or touch the kernel's global state
fail with EPERM. clone3 fails with ENOSYS, so that the C library falls back to clone, whose
flags, unlike clone3's (in memory), the filter can read. A system call of another ABI (i386,
x32) kills the process: the numbers below would not mean the same there.

The worker builds the filter here for the machine it runs on and the zygote installs it in
each child after the fork (zygote.py has no system call tables); the zygote itself stays
unfiltered, it needs what the children may not.
"""

import errno
import os
import struct
from typing import NamedTuple

# struct sock_filter {u16 code; u8 jt; u8 jf; u32 k}, in the machine's byte order.
INSTRUCTION = struct.Struct("=HBBI")
BPF_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS: A = the 32-bit word at offset k
BPF_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
BPF_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
BPF_JSET_K = 0x45  # BPF_JMP | BPF_JSET | BPF_K
BPF_RET_K = 0x06

SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000

# Offsets in struct seccomp_data {int nr; u32 arch; u64 ip; u64 args[6]}. An argument's low
# 32 bits come first on these little-endian machines, and the arguments checked are 32-bit.
NR_OFFSET = 0
ARCH_OFFSET = 4
ARGS_OFFSET = 16

X32_SYSCALL_BIT = 0x40000000
NAMESPACE_FLAGS = (
    0x00020000  # CLONE_NEWNS
    | 0x02000000  # CLONE_NEWCGROUP
    | 0x04000000  # CLONE_NEWUTS
    | 0x08000000  # CLONE_NEWIPC
    | 0x10000000  # CLONE_NEWUSER
    | 0x20000000  # CLONE_NEWPID
    | 0x40000000  # CLONE_NEWNET
)
# personality(): only the default (PER_LINUX) and the query that changes nothing.
PERSONALITIES_ALLOWED = (0x0, 0xFFFFFFFF)

DENIED = (
    # State that outlives the run, outside the files and SysV objects the zygote removes.
    "add_key", "request_key", "keyctl",
    "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
    # File times: what a run could still change on the host's device nodes in its /dev
    # (null, urandom, ...), for a later run, or the host, to read.
    "utime", "utimes", "futimesat", "utimensat",
    # Namespaces and mounts: another view of the system, or a way out of the sandbox's.
    "unshare", "setns", "chroot", "mount", "umount2", "pivot_root", "mount_setattr",
    "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
    # Other processes' memory and descriptors.
    "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp", "pidfd_getfd",
    # A new program: it would start with a fresh peak memory and none of the run's setup.
    "execve", "execveat",
    # Kernel interfaces with a record of exploits, or effects beyond the sandbox.
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "init_module", "finit_module", "delete_module", "kexec_load",
    "kexec_file_load", "reboot", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd",
    "syslog", "vhangup", "open_by_handle_at", "name_to_handle_at", "fanotify_init",
    "lookup_dcookie", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "sethostname", "setdomainname", "iopl", "ioperm", "uselib", "_sysctl",
)


class Architecture(NamedTuple):
    audit_arch: int  # AUDIT_ARCH_*, what seccomp_data.arch holds for this ABI
    syscalls: dict[str, int]  # the numbers of the calls the filter looks at
    x32_bit: bool  # whether numbers with X32_SYSCALL_BIT set are another ABI's


ARCHITECTURES = {
    "x86_64": Architecture(0xC000003E, {
        "add_key": 248, "request_key": 249, "keyctl": 250,
        "mq_open": 240, "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243,
        "mq_notify": 244, "mq_getsetattr": 245,
        "utime": 132, "utimes": 235, "futimesat": 261, "utimensat": 280,
        "unshare": 272, "setns": 308, "chroot": 161, "mount": 165, "umount2": 166,
        "pivot_root": 155, "mount_setattr": 442, "open_tree": 428, "move_mount": 429,
        "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
        "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
        "process_madvise": 440, "kcmp": 312, "pidfd_getfd": 438,
        "execve": 59, "execveat": 322,
        "bpf": 321, "perf_event_open": 298, "userfaultfd": 323, "io_uring_setup": 425,
        "io_uring_enter": 426, "io_uring_register": 427, "init_module": 175,
        "finit_module": 313, "delete_module": 176, "kexec_load": 246, "kexec_file_load": 320,
        "reboot": 169, "swapon": 167, "swapoff": 168, "acct": 163, "quotactl": 179,
        "quotactl_fd": 443, "syslog": 103, "vhangup": 153, "open_by_handle_at": 304,
        "name_to_handle_at": 303, "fanotify_init": 300, "lookup_dcookie": 212,
        "settimeofday": 164, "clock_settime": 227, "clock_adjtime": 305, "adjtimex": 159,
        "sethostname": 170, "setdomainname": 171, "iopl": 172, "ioperm": 173, "uselib": 134,
        "_sysctl": 156,
        "clone": 56, "clone3": 435, "personality": 135,
    }, x32_bit=True),
    # The generic table (asm-generic/unistd.h); iopl, ioperm, uselib, _sysctl, utime, utimes
    # and futimesat do not exist.
    "aarch64": Architecture(0xC00000B7, {
        "add_key": 217, "request_key": 218, "keyctl": 219,
        "mq_open": 180, "mq_unlink": 181, "mq_timedsend": 182, "mq_timedreceive": 183,
        "mq_notify": 184, "mq_getsetattr": 185,
        "utimensat": 88,
        "unshare": 97, "setns": 268, "chroot": 51, "mount": 40, "umount2": 39,
        "pivot_root": 41, "mount_setattr": 442, "open_tree": 428, "move_mount": 429,
        "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
        "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271,
        "process_madvise": 440, "kcmp": 272, "pidfd_getfd": 438,
        "execve": 221, "execveat": 281,
        "bpf": 280, "perf_event_open": 241, "userfaultfd": 282, "io_uring_setup": 425,
        "io_uring_enter": 426, "io_uring_register": 427, "init_module": 105,
        "finit_module": 273, "delete_module": 106, "kexec_load": 104, "kexec_file_load": 294,
        "reboot": 142, "swapon": 224, "swapoff": 225, "acct": 89, "quotactl": 60,
        "quotactl_fd": 443, "syslog": 116, "vhangup": 58, "open_by_handle_at": 265,
        "name_to_handle_at": 264, "fanotify_init": 262, "lookup_dcookie": 18,
        "settimeofday": 170, "clock_settime": 112, "clock_adjtime": 266, "adjtimex": 171,
        "sethostname": 161, "setdomainname": 162,
        "clone": 220, "clone3": 435, "personality": 92,
    }, x32_bit=False),
}


class SyscallFilter(NamedTuple):
    """A filter for one machine: `program` is empty where none could be built, and
    `reason` says why."""

    machine: str
    program: bytes  # struct sock_filter instructions back to back, as prctl takes them
    reason: str = ""


def build_filter(machine: str | None = None) -> SyscallFilter:
    """The deny-list filter for `machine` (default: the one we run on)."""
    machine = os.uname().machine if machine is None else machine
    architecture = ARCHITECTURES.get(machine)
    if architecture is None:
        return SyscallFilter(machine, b"", f"no system call table for {machine}")
    return SyscallFilter(machine, b"".join(INSTRUCTION.pack(*op) for op in
                                           instructions(architecture)))


def instructions(architecture: Architecture) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) tuples. Every check is a block that returns or falls
    through to the next, so no jump reaches past its own block."""
    numbers = architecture.syscalls
    program = [load(ARCH_OFFSET), (BPF_JEQ_K, 1, 0, architecture.audit_arch),
               ret(SECCOMP_RET_KILL_PROCESS), load(NR_OFFSET)]
    if architecture.x32_bit:
        program += [(BPF_JGE_K, 0, 1, X32_SYSCALL_BIT), ret(SECCOMP_RET_KILL_PROCESS)]
    for name in DENIED:
        if name in numbers:
            program += [(BPF_JEQ_K, 0, 1, numbers[name]), ret(fail(errno.EPERM))]
    program += [(BPF_JEQ_K, 0, 1, numbers["clone3"]), ret(fail(errno.ENOSYS))]
    # The argument checks come last: they load an argument over the number.
    program += [(BPF_JEQ_K, 0, 4, numbers["clone"]), load(argument(0)),
                (BPF_JSET_K, 0, 1, NAMESPACE_FLAGS), ret(fail(errno.EPERM)),
                ret(SECCOMP_RET_ALLOW)]
    allowed = PERSONALITIES_ALLOWED
    program += [(BPF_JEQ_K, 0, 2 + len(allowed) + 1, numbers["personality"]),
                load(argument(0))]
    program += [(BPF_JEQ_K, len(allowed) - index, 0, value) for index, value in
                enumerate(allowed)]
    program += [ret(fail(errno.EPERM)), ret(SECCOMP_RET_ALLOW)]
    return program + [ret(SECCOMP_RET_ALLOW)]


def load(offset: int) -> tuple[int, int, int, int]:
    return BPF_LD_W_ABS, 0, 0, offset


def ret(action: int) -> tuple[int, int, int, int]:
    return BPF_RET_K, 0, 0, action


def fail(error: int) -> int:
    return SECCOMP_RET_ERRNO | error


def argument(index: int) -> int:
    """The offset of an argument's low 32 bits in seccomp_data."""
    return ARGS_OFFSET + 8 * index
