"""The evaluation app's door for the rest of the site: Django settings in, plain results out."""

import contextlib
import functools
import platform
import socket
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

from evaluation import engine
from evaluation.cache import CaseCache
from evaluation.metrics import average_metrics
from evaluation.results import ProblemEvaluation
from evaluation.sandbox import Sandbox
from evaluation.spec import EvalSettings, ProblemSpec


def eval_settings() -> EvalSettings:
    return EvalSettings(**getattr(settings, "EVALUATION", {}))


def case_cache() -> CaseCache:
    return CaseCache(Path(settings.TEST_CACHE_DIR))


def open_sandbox() -> Sandbox:
    """A sandbox to evaluate several problems in a row (close it when done)."""
    return Sandbox(memory_bytes=eval_settings().memory_bytes, isolation=settings.SANDBOX_ISOLATION,
                   zygotes=settings.SANDBOX_ZYGOTES)


def evaluate_problem(
    spec: ProblemSpec,
    codes: list[str],
    *,
    progress: engine.Progress | None = None,
    sandbox: Sandbox | None = None,
) -> ProblemEvaluation:
    """Evaluates one problem's samples on this worker. Raises engine.EvaluationError when the
    problem itself is broken."""
    with contextlib.nullcontext(sandbox) if sandbox else open_sandbox() as sandbox:
        return engine.evaluate_problem(
            spec, codes, eval_settings(), case_cache(), progress=progress, sandbox=sandbox
        )


def validate_problem(spec: ProblemSpec) -> list[str]:
    """One line per thing that fails when the problem's tests are generated and checked."""
    return engine.validate_problem(spec, eval_settings(), case_cache())


def aggregate(
    per_problem: Iterable[ProblemEvaluation | tuple[dict, dict]], n_problems: int
) -> dict[str, float]:
    """pass@k and eff@k averaged over n_problems; problems not given count as failed."""
    pairs = [
        (item.pass_at_k, item.eff_at_k) if isinstance(item, ProblemEvaluation) else item
        for item in per_problem
    ]
    pairs = [
        ({int(k): v for k, v in passes.items()}, {int(k): v for k, v in effs.items()})
        for passes, effs in pairs
    ]
    return average_metrics(pairs, n_problems, eval_settings().ks)


@functools.cache
def environment() -> dict:
    """Where results come from, recorded with every submission."""
    with open_sandbox() as sandbox:
        isolation = sandbox.isolation
    return {
        "python": platform.python_version(),
        "cpu": _cpu_model(),
        "isolation": isolation,
        "host": socket.gethostname(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
