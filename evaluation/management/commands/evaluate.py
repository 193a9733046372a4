"""`manage.py evaluate FILE --name NAME`: evaluates a sample file here, without the queue."""

import json
import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from evaluation import api
from evaluation.api import (
    EvaluationError,
    ProgressBar,
    SampleFormatError,
    parse_samples,
    read_sample_file,
)
from problems.models import Problem


def _indices(value: str) -> list[int]:
    parts = [part.strip() for part in value.split(",") if part.strip()]
    # [0-9], not int() alone: it reads "٣" as 3. None at all is an error too, not "no
    # active problems".
    if not parts or not all(re.fullmatch(r"[0-9]{1,6}", part) for part in parts):
        raise CommandError(f"--problems: expected indices like 0,3,7, got {value!r}")
    return sorted({int(part) for part in parts})


def _check_output(output: Path) -> None:
    """Fails before the evaluation, not after it, where --output cannot be written."""
    if output.is_dir():
        raise CommandError(f"--output: {output}: is a folder")
    if not output.parent.is_dir():
        raise CommandError(f"--output: {output.parent}: no such folder")


class Command(BaseCommand):
    help = (
        "Evaluate a sample file (ENAMEL JSON, EvalPlus JSONL or zip) on this machine and print "
        "its metrics as JSON. Problems the file does not cover count as failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--name", required=True, help="A name for this run, kept in --output")
        parser.add_argument("--problems", help="Only these problem indices, e.g. 0,3,7")
        parser.add_argument("--output", type=Path, help="Write per-problem and per-sample results")

    def handle(self, *args: object, file: Path, name: str, problems: str | None,
               output: Path | None, **options: object) -> None:
        if output is not None:
            _check_output(output)
        active = Problem.objects.filter(active=True)
        if problems is not None:
            wanted = _indices(problems)
            missing = sorted(set(wanted) - set(active.values_list("index", flat=True)))
            if missing:
                raise CommandError(f"--problems: no active problem with index {missing[0]}")
            active = active.filter(index__in=wanted)
        catalogue = list(active.order_by("index"))
        if not catalogue:
            raise CommandError("no active problems: run `manage.py import_enamel` first")
        try:
            data = read_sample_file(file)
            parsed = parse_samples(
                file.name, data,
                known_task_ids=set(Problem.objects.values_list("task_id", flat=True)),
                prompts={p.task_id: p.prompt for p in catalogue},
            )
        except SampleFormatError as exc:
            raise CommandError(f"{file}: {exc}") from None

        uncovered = [p.task_id for p in catalogue if not parsed.samples.get(p.task_id)]
        if uncovered:
            self.stderr.write(
                f"warning: {len(uncovered)} problems not covered by the file count as failed: "
                + ", ".join(uncovered[:10]) + (" …" if len(uncovered) > 10 else "")
            )
        covered = [p for p in catalogue if parsed.samples.get(p.task_id)]
        bar = ProgressBar(len(covered))
        evaluations = {}
        with api.open_sandbox() as sandbox:
            for done, problem in enumerate(covered):
                bar.update(done, problem.task_id)
                try:
                    evaluations[problem.task_id] = api.evaluate_problem(
                        problem.to_spec(), parsed.samples[problem.task_id], sandbox=sandbox
                    )
                except EvaluationError as exc:
                    bar.close()
                    raise CommandError(str(exc)) from None
        bar.update(len(covered))
        bar.close()

        metrics = api.aggregate(evaluations.values(), len(catalogue))
        self.stdout.write(json.dumps(metrics, indent=2))
        if output is not None:
            document = {
                "name": name,
                "metrics": metrics,
                "settings": api.eval_settings().__dict__,
                "environment": api.environment(),
                "problems": {
                    task_id: {
                        **{f"pass@{k}": v for k, v in evaluation.pass_at_k.items()},
                        **{f"eff@{k}": v for k, v in evaluation.eff_at_k.items()},
                        "reference_times": evaluation.reference_times,
                        "timeout": evaluation.timeout,
                        "wall_seconds": evaluation.wall_seconds,
                        "call_seconds": evaluation.call_seconds,
                        "repeated_runs": evaluation.repeated_runs,
                        "samples": [sample.to_dict() for sample in evaluation.samples],
                    }
                    for task_id, evaluation in evaluations.items()
                },
                "uncovered": uncovered,
            }
            try:
                output.write_text(json.dumps(document, indent=1, default=list))
            except OSError as exc:  # checked before, but a disk can fill or a folder go
                raise CommandError(f"--output: {output}: cannot write ({exc.strerror})") from None
            self.stderr.write(f"wrote {output}")
