"""What the upload form and the upload API share: the model to file under, queueing, access."""

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify

from evaluation.api import SampleFormatError
from leaderboard.models import LanguageModel, Submission
from leaderboard.submissions import create_submission


def new_model(name: str, **details) -> LanguageModel:
    """An unsaved model named `name`; ValueError (one line) if the name is taken or unusable."""
    name = name.strip()
    slug = slugify(name)
    if not slug:
        raise ValueError("A model name needs at least one letter or digit.")
    if LanguageModel.objects.filter(Q(name__iexact=name) | Q(slug=slug)).exists():
        raise ValueError(f"A model named “{name}” already exists: pick it from the list.")
    return LanguageModel(name=name, slug=slug, **details)


def find_or_new_model(name: str, **details) -> LanguageModel:
    """The model with this name or slug, else an unsaved new one (see new_model)."""
    name = name.strip()
    existing = LanguageModel.objects.filter(
        Q(name__iexact=name) | Q(slug=name) | Q(slug=slugify(name))
    ).first()
    return existing or new_model(name, **details)


def queue_upload(
    *,
    model: LanguageModel,
    upload: UploadedFile,
    submitter,
    temperature: float | None = None,
    notes: str = "",
) -> Submission:
    """Saves a new model and queues the file, or raises SampleFormatError and writes nothing."""
    if (upload.size or 0) > settings.MAX_UPLOAD_BYTES:
        limit = settings.MAX_UPLOAD_BYTES / 1024**2
        raise SampleFormatError(f"file is larger than the {limit:g} MiB limit")
    # A model created for a file that turns out bad is rolled back with it.
    with transaction.atomic():
        if model.pk is None:
            model.save()
        return create_submission(
            model=model,
            filename=upload.name or "",
            data=upload.read(),
            submitter=submitter,
            temperature=temperature,
            notes=notes,
        )
