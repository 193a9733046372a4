from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from evaluation.api import SampleFormatError
from leaderboard.models import LanguageModel, Submission
from leaderboard.standings.queries import visible_submissions
from leaderboard.submissions import submission_progress
from leaderboard.uploads.forms import UploadForm
from leaderboard.uploads.ratelimit import rate_limit_message, seconds_until_upload_allowed
from leaderboard.uploads.services import queue_upload


@login_required
def submit(request: HttpRequest) -> HttpResponse:
    wait = seconds_until_upload_allowed(request.user)
    duplicate = None
    if request.method != "POST":
        form = UploadForm()
    else:
        form = UploadForm(request.POST, request.FILES)
        if wait:
            form.add_error(None, rate_limit_message(wait))
        elif form.is_valid():
            data = form.cleaned_data
            if not data["evaluate_again"]:
                duplicate = earlier_upload(data["model"], data["file"], request.user)
            if duplicate:
                form.add_error("file", "This file was already uploaded for this model.")
            else:
                try:
                    submission = queue_upload(
                        model=data["model"],
                        upload=data["file"],
                        submitter=request.user,
                        temperature=data["temperature"],
                        notes=data["notes"],
                    )
                except SampleFormatError as error:
                    form.add_error("file", str(error))
                else:
                    return redirect("uploads:status", submission.pk)
    limit_notice = rate_limit_message(wait) if wait and not form.non_field_errors() else ""
    return render(
        request,
        "leaderboard/submit.html",
        {"form": form, "limit_notice": limit_notice, "duplicate": duplicate},
    )


def earlier_upload(model: LanguageModel, upload: UploadedFile, user) -> Submission | None:
    """The latest submission this user can see of the same bytes for the same model: one
    they can link to, so nobody learns of another user's unpublished upload."""
    if model.pk is None:
        return None
    content = upload.read()
    upload.seek(0)
    # Compared in the database, byte for byte: no stored hash to keep in step.
    earlier = visible_submissions(user).filter(model=model, file__data=content)
    return earlier.order_by("-created").first()


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own submissions, newest first, whatever their visibility."""
    submissions = (
        Submission.objects.filter(submitter_id=request.user.pk)
        .select_related("model")
    )
    page = Paginator(submissions, 50).get_page(request.GET.get("page"))
    return render(request, "leaderboard/my_submissions.html", {"page": page})


def status(request: HttpRequest, pk: int) -> HttpResponse:
    # 404 rather than 403: nobody learns that someone else's unpublished submission exists.
    submission = get_object_or_404(visible_submissions(request.user), pk=pk)
    finished = submission.status in {
        Submission.Status.DONE,
        Submission.Status.FAILED,
        Submission.Status.CANCELLED,
    }
    return render(
        request,
        "leaderboard/submission_status.html",
        {
            "submission": submission,
            "progress": submission_progress(submission),
            "finished": finished,
            "pending": submission.visibility == Submission.Visibility.PENDING,
        },
    )
