"""What the upload form and the upload API share: the model to file under, queueing, access."""

import unicodedata

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify

from evaluation.api import SampleFormatError
from leaderboard.models import LanguageModel, Submission
from leaderboard.submissions import create_submission

# Control characters (newlines, escapes), lone surrogates and line or paragraph separators:
# a model's name is shown on one line in pages, exports and terminals.
_NOT_IN_NAMES = {"Cc", "Cs", "Zl", "Zp"}
MODEL_NAME_MAX = 120  # LanguageModel.name's max_length, which SQLite does not enforce


def one_line(text: str, what: str) -> str:
    """`text` stripped; ValueError (one line) if it holds a character that breaks its line."""
    text = text.strip()
    if any(unicodedata.category(char) in _NOT_IN_NAMES for char in text):
        raise ValueError(f"{what} cannot contain control characters or line breaks.")
    return text


def clean_model_name(name: str) -> str:
    """`name` stripped; ValueError (one line) if it cannot name a model."""
    name = one_line(name, "A model name")
    if len(name) > MODEL_NAME_MAX:
        raise ValueError(f"A model name has at most {MODEL_NAME_MAX} characters.")
    if not slugify(name):
        raise ValueError("A model name needs at least one letter or digit.")
    return name


def new_model(name: str, **details) -> LanguageModel:
    """An unsaved model named `name`; ValueError (one line) if the name is taken or unusable."""
    name = clean_model_name(name)
    if "organisation" in details:
        details["organisation"] = one_line(details["organisation"], "An organisation")
    slug = slugify(name)
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
