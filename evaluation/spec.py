"""What the engine needs to know about a problem and how to evaluate it.

Plain data, no Django: the `problems` app turns its rows into `ProblemSpec`s.
"""

import hashlib
import json
from dataclasses import asdict, dataclass, field

# Bumped whenever the way tests are generated changes, so cached tests are rebuilt.
GENERATOR_VERSION = 2


@dataclass(frozen=True)
class ProblemSpec:
    index: int
    task_id: str
    prompt: str
    entry_point: str
    input_generator: str
    level_sizes: tuple[int, ...]
    reference_solution: str
    checker: str
    tests_per_level: tuple[int, ...] = (8, 4, 4, 4)
    hardness: tuple[float, ...] = (0.0, 3.0, 3.0, 4.0)

    def content_hash(self) -> str:
        """Changes whenever anything that affects evaluation changes."""
        payload = json.dumps(asdict(self), sort_keys=True, default=list)
        return hashlib.sha256(payload.encode()).hexdigest()

    @property
    def reference_program(self) -> str:
        return f"{self.prompt}\n{self.reference_solution}\n"

    def sample_program(self, code: str) -> str:
        # As ENAMEL does: the prompt first, so its imports are in scope of a sample that
        # omits them; a full-program sample then redefines the function.
        return f"{self.prompt}\n{code}\n"


@dataclass(frozen=True)
class EvalSettings:
    """ENAMEL's upstream defaults (../shared/README.md)."""

    seed: int = 998244353
    repetitions: int = 6
    memory_bytes: int = 4 * 1024**3
    timeout_factor: float = 2.0
    tolerance_seconds: float = 0.01
    ks: tuple[int, ...] = field(default=(1, 10, 100))

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]
