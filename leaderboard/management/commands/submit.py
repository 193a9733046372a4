"""`manage.py submit FILE --model NAME [--wait]`: queues a sample file for evaluation."""

import json
import math
import os
import sys
import time
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.text import slugify

from evaluation.api import ProgressBar, SampleFormatError, read_sample_file
from leaderboard.models import LanguageModel, Submission
from leaderboard.submissions import create_submission, submission_progress
from leaderboard.uploads.services import clean_model_name

POLL_SECONDS = 0.5
# As the upload form and the API allow.
MAX_TEMPERATURE = 10.0
MAX_NOTES = 2000


class Command(BaseCommand):
    help = (
        "Validate a sample file (ENAMEL JSON, EvalPlus JSONL or zip), store it and queue it for "
        "the workers; print the submission's id. With --wait, show progress on stderr and "
        "print the metrics as JSON when it is done."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--model", required=True, help="Model name; created if absent")
        parser.add_argument("--temperature", type=float)
        parser.add_argument("--notes", default="")
        parser.add_argument("--wait", action="store_true", help="Wait until it is evaluated")

    def handle(
        self,
        *args,
        file: Path,
        model: str,
        temperature: float | None,
        notes: str,
        wait: bool,
        **options,
    ) -> None:
        model, notes = _text("--model", model), _text("--notes", notes)
        if temperature is not None and not (
            math.isfinite(temperature) and 0 <= temperature <= MAX_TEMPERATURE
        ):
            raise CommandError(f"--temperature: must be a number from 0 to {MAX_TEMPERATURE:g}")
        if len(notes) > MAX_NOTES:
            raise CommandError(f"--notes: at most {MAX_NOTES} characters")
        try:
            data = read_sample_file(file, settings.MAX_UPLOAD_BYTES)
            # A model created for a file that turns out bad is rolled back with it.
            with transaction.atomic():
                submission = create_submission(
                    model=_model_named(model),
                    # Bytes of a name that are not UTF-8 come as lone surrogates, which no
                    # database stores: shown as U+FFFD instead.
                    filename=os.fsencode(file.name).decode("utf-8", "replace"),
                    data=data,
                    temperature=temperature,
                    notes=notes,
                )
        except SampleFormatError as exc:
            raise CommandError(f"{file}: {exc}") from None
        self.stdout.write(str(submission.pk))
        for warning in submission.warnings:
            self.stderr.write(f"warning: {warning}")
        if wait:
            try:
                # The raw stream, call_command's or the process's: the bar draws its own
                # line endings, which the command's self.stderr would add to.
                metrics = self._wait(submission, options.get("stderr") or sys.stderr)
            except KeyboardInterrupt:
                raise CommandError(
                    f"stopped waiting; submission {submission.pk} stays on the queue"
                ) from None
            self.stdout.write(json.dumps(metrics, indent=2))

    def _wait(self, submission: Submission, stream: TextIO) -> dict:
        bar = ProgressBar(submission.problems_total, stream=stream)
        shown = -1
        while True:
            progress = submission_progress(submission)
            if progress["done"] != shown:
                shown = progress["done"]
                bar.update(shown, progress["status"])
            if progress["status"] not in (Submission.Status.QUEUED, Submission.Status.RUNNING):
                break
            time.sleep(POLL_SECONDS)
        bar.close()
        if progress["status"] != Submission.Status.DONE:
            reason = progress["failure_reason"] or progress["status"]
            raise CommandError(f"submission {submission.pk} {progress['status']}: {reason}")
        return progress["metrics"]


def _text(option: str, value: str) -> str:
    """An argument as text a database stores: bytes of argv that are not UTF-8 arrive as lone
    surrogates, which fail only when the row is written, as a traceback."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise CommandError(f"{option}: not valid UTF-8") from None
    return value


def _model_named(name: str) -> LanguageModel:
    try:
        name = clean_model_name(name)
    except ValueError as error:
        raise CommandError(f"--model: {error}") from None
    existing = LanguageModel.objects.filter(name__iexact=name).first()
    if existing is not None:
        return existing
    slug = slugify(name)
    if LanguageModel.objects.filter(slug=slug).exists():
        raise CommandError(f"--model: {name!r} is too close to an existing model's name")
    return LanguageModel.objects.create(name=name, slug=slug)
