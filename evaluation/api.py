"""The evaluation app's door for the rest of the site: Django settings in, plain results out.

The site imports this module only, never the engine's (an import-linter contract in
pyproject.toml keeps it so); what it uses of them is re-exported here (`import X as X`)."""

import contextlib
import functools
import os
import platform
import signal
import socket
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings

from evaluation import engine, metrics
from evaluation.cache import CaseCache
from evaluation.engine import EvaluationError as EvaluationError
from evaluation.formats import ParsedSamples as ParsedSamples
from evaluation.formats import SampleFormatError as SampleFormatError
from evaluation.formats import parse_samples as parse_samples
from evaluation.formats import read_sample_file as read_sample_file
from evaluation.metrics import average_metrics
from evaluation.progressbar import ProgressBar as ProgressBar
from evaluation.results import ProblemEvaluation, SampleResult
from evaluation.results import SampleStatus as SampleStatus
from evaluation.sandbox import Sandbox
from evaluation.spec import EvalSettings
from evaluation.spec import ProblemSpec as ProblemSpec


def eval_settings() -> EvalSettings:
    return EvalSettings(**getattr(settings, "EVALUATION", {}))


def case_cache() -> CaseCache:
    return CaseCache(Path(settings.TEST_CACHE_DIR))


def open_sandbox() -> Sandbox:
    """A sandbox to evaluate several problems in a row (close it when done)."""
    return Sandbox(memory_bytes=eval_settings().memory_bytes, isolation=settings.SANDBOX_ISOLATION,
                   zygotes=settings.SANDBOX_ZYGOTES)


# This process's sandbox, kept warm across evaluations (a worker runs many jobs), with the
# settings it was opened under: other settings get a new one.
_warm: tuple[tuple[int, str, int], Sandbox] | None = None


def warm_sandbox() -> Sandbox:
    """This process's long-lived sandbox: its zygotes start once, not once per job."""
    global _warm
    key = (eval_settings().memory_bytes, settings.SANDBOX_ISOLATION, settings.SANDBOX_ZYGOTES)
    if _warm is None or _warm[0] != key:
        discard_warm_sandbox()
        _warm = (key, open_sandbox())
    return _warm[1]


def discard_warm_sandbox() -> None:
    """Closes the warm sandbox (after an evaluation that did not end normally, whose runs
    may have left a zygote mid-conversation); the next warm_sandbox() opens a fresh one."""
    global _warm
    warm, _warm = _warm, None
    if warm is not None:
        warm[1].close()


def kill_warm_sandbox() -> None:
    """SIGKILLs the warm sandbox's zygotes and their children from any thread, without
    touching its state: the run under way ends as "killed" (SandboxLost), and the sandbox's
    owner replaces the zygotes at its next run. How a worker stops a running evaluation."""
    warm = _warm
    if warm is None:
        return
    for process in warm[1].processes:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


def evaluate_problem(
    spec: ProblemSpec,
    codes: list[str],
    *,
    progress: engine.Progress | None = None,
    sandbox: Sandbox | None = None,
) -> ProblemEvaluation:
    """Evaluates one problem's samples on this worker. Raises engine.EvaluationError when the
    problem itself is broken."""
    try:
        with contextlib.nullcontext(sandbox) if sandbox else open_sandbox() as sandbox:
            return engine.evaluate_problem(
                spec, codes, eval_settings(), case_cache(), progress=progress, sandbox=sandbox
            )
    except BaseException:
        if _warm is not None and sandbox is _warm[1]:
            discard_warm_sandbox()
        raise


def problem_metrics(
    samples: Sequence[SampleResult | dict[str, Any]],
) -> tuple[dict[int, float], dict[int, float]]:
    """pass@k and eff@k over all of a problem's samples, whichever jobs evaluated them: as
    engine.evaluate_problem computes them when one job evaluates them all."""
    results = [s if isinstance(s, SampleResult) else SampleResult.from_dict(s) for s in samples]
    return metrics.problem_metrics(
        [s.correct for s in results], [s.efficiency for s in results],
        [k for k in eval_settings().ks if k <= len(results)],
    )


def validate_problem(spec: ProblemSpec) -> list[str]:
    """One line per thing that fails when the problem's tests are generated and checked, in a
    sandbox opened under the site's settings."""
    with open_sandbox() as sandbox:
        return engine.validate_problem(spec, eval_settings(), case_cache(), sandbox=sandbox)


def aggregate(
    per_problem: Iterable[ProblemEvaluation | tuple[dict[Any, float], dict[Any, float]]],
    n_problems: int,
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


def environment(sandbox: Sandbox | None = None) -> dict[str, str]:
    """Where results come from, recorded with every submission: the machine, and the
    sandbox's isolation and resource limits (`sandbox`'s, if one is open, else one is
    opened to find out)."""
    with contextlib.nullcontext(sandbox) if sandbox else open_sandbox() as opened:
        return {**_platform(), "isolation": opened.isolation,
                "resource_limits": opened.resource_limits}


@functools.cache
def _platform() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "cpu": _cpu_model(),
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
