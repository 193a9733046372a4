"""What an evaluation produces, as plain data (no Django)."""

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class SampleStatus(StrEnum):
    """A sample's verdict, in the order reports list them. Members equal their values, the
    strings stored results hold. Only PASSED counts as correct, and TIMEOUT or MEMORY after
    level 0 (see SampleResult)."""

    PASSED = "passed"
    WRONG_ANSWER = "wrong_answer"
    ERROR = "error"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    KILLED = "killed"


@dataclass
class SampleResult:
    """One sample's verdict. A timeout or memory error after level 0 is still `correct`:
    ENAMEL right-censors it (the slow levels score 0) instead of failing the sample."""

    status: SampleStatus
    correct: bool = False
    efficiency: float = 0.0
    levels: list[float] = field(default_factory=list)  # efficiency per level
    times: list[float | None] = field(default_factory=list)  # slowest test per level, seconds
    peak_memory: int = 0  # bytes
    isolation: str = ""
    error: str = ""  # "ExceptionType: short message", or what went wrong
    failed_level: int | None = None  # where a timeout / memory error / failure happened

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SampleResult":
        return cls(**{**data, "status": SampleStatus(data["status"])})


@dataclass
class ProblemEvaluation:
    task_id: str
    samples: list[SampleResult]
    pass_at_k: dict[int, float]
    eff_at_k: dict[int, float]
    reference_times: list[float]  # slowest reference test per level, seconds
    timeout: float  # T = alpha x the slowest reference time over weighted levels
    isolation: str
    wall_seconds: float
    call_seconds: float  # spent inside the calls of samples and reference, out of wall_seconds
    # Sample runs repeated because only the zygote's clock put them past ENAMEL's limit (a
    # forged clock, or a scheduling delay): see engine.ProblemRunner._run_repetition.
    repeated_runs: int = 0

    @property
    def n(self) -> int:
        return len(self.samples)

    @property
    def c(self) -> int:
        return sum(sample.correct for sample in self.samples)
