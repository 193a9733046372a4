from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from evaluation.formats import SampleFormatError
from leaderboard.cache import invalidate_on_commit
from leaderboard.models import LanguageModel, ProblemResult, Submission
from leaderboard.submissions import cancel_submission, reevaluate_submission


@admin.register(LanguageModel)
class LanguageModelAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation", "parameters_billions", "open_weights")
    list_filter = ("open_weights",)
    search_fields = ("name", "organisation")
    prepopulated_fields = {"slug": ("name",)}


class ProblemResultInline(admin.TabularInline):
    model = ProblemResult
    fields = ("problem", "n", "c", "pass_at_k", "eff_at_k", "wall_seconds", "worker")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("id", "model", "status", "progress", "visibility", "created")
    list_display_links = ("id", "model")
    list_filter = ("status", "visibility", "format")
    search_fields = ("model__name", "upload_name", "notes")
    list_select_related = ("model",)
    actions = ["publish", "hide", "reevaluate", "cancel"]
    inlines = [ProblemResultInline]
    # Everything but how it is shown comes from the file and the workers.
    readonly_fields = (
        "model",
        "upload_name",
        "format",
        "temperature",
        "samples_per_problem",
        "submitter",
        "created",
        "finished",
        "status",
        "failure_reason",
        "warnings",
        "problems_total",
        "problems_done",
        "problem_set_size",
        "problem_set_hash",
        "run",
        "environment",
        "metrics",
    )
    fields = ("visibility", "notes", *readonly_fields)

    @admin.display(description="Progress")
    def progress(self, submission: Submission) -> str:
        return f"{submission.problems_done}/{submission.problems_total}"

    @admin.action(description="Publish selected submissions")
    def publish(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        done = queryset.filter(status=Submission.Status.DONE)
        count = done.update(visibility=Submission.Visibility.PUBLISHED)
        invalidate_on_commit()  # update() sends no signal
        self.message_user(request, f"{count} submissions published.")
        if skipped := queryset.count() - count:
            self.message_user(
                request, f"{skipped} not published: only done ones can be.", messages.WARNING
            )

    @admin.action(description="Hide selected submissions")
    def hide(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        count = queryset.update(visibility=Submission.Visibility.HIDDEN)
        invalidate_on_commit()
        self.message_user(request, f"{count} submissions hidden.")

    @admin.action(description="Re-evaluate selected submissions (drops their results)")
    def reevaluate(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        for submission in queryset:
            try:
                reevaluate_submission(submission)
            except SampleFormatError as exc:
                self.message_user(request, f"{submission}: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"{submission} queued again.")

    @admin.action(description="Cancel selected submissions")
    def cancel(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        count = sum(cancel_submission(submission) for submission in queryset)
        self.message_user(request, f"{count} submissions cancelled.")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # submissions come through the upload form, the API or `submit`


@admin.register(ProblemResult)
class ProblemResultAdmin(admin.ModelAdmin):
    list_display = ("submission", "problem", "n", "c", "wall_seconds", "worker", "created")
    list_select_related = ("submission__model", "problem")
    search_fields = ("problem__task_id",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
