from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.text import Truncator

from evaluation.api import SampleFormatError
from leaderboard.isolation import is_isolated, isolations
from leaderboard.models import LanguageModel, ProblemResult, Submission
from leaderboard.standings.leaderboard_cache import invalidate_on_commit
from leaderboard.submissions import cancel_submission, reevaluate_submission

# Longer names would stretch the changelists' columns past the screen.
NAME_CHARS = 40


def truncated(text: str) -> str:
    """The text cut to NAME_CHARS, with the whole of it as a tooltip."""
    return format_html('<span title="{}">{}</span>', text, Truncator(text).chars(NAME_CHARS))


@admin.register(LanguageModel)
class LanguageModelAdmin(admin.ModelAdmin):
    list_display = ("short_name", "organisation", "parameters_billions", "open_weights")
    list_filter = ("open_weights",)
    search_fields = ("name", "organisation")
    prepopulated_fields = {"slug": ("name",)}

    @admin.display(description="Name", ordering="name")
    def short_name(self, model: LanguageModel) -> str:
        return truncated(model.name)


class ProblemResultInline(admin.TabularInline):
    model = ProblemResult
    fields = ("problem", "n", "c", "pass_at_k", "eff_at_k", "wall_seconds", "worker")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class SubmissionForm(forms.ModelForm):
    def clean_visibility(self) -> str:
        visibility = self.cleaned_data["visibility"]
        published = visibility == Submission.Visibility.PUBLISHED
        # The change form must not be a quiet way round the action's confirmation.
        if published and "visibility" in self.changed_data and not is_isolated(self.instance):
            raise forms.ValidationError(
                "These results did not all run under bubblewrap: publish them with the "
                "“Publish without isolation” action."
            )
        return visibility


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    form = SubmissionForm
    list_display = ("id", "model_name", "status", "progress", "visibility", "created")
    list_display_links = ("id", "model_name")
    list_filter = ("status", "visibility", "format")
    search_fields = ("model__name", "upload_name", "notes")
    list_select_related = ("model",)
    actions = ["publish", "publish_without_isolation", "hide", "reevaluate", "cancel"]
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

    @admin.display(description="Model", ordering="model__name")
    def model_name(self, submission: Submission) -> str:
        return truncated(submission.model.name)

    @admin.display(description="Progress")
    def progress(self, submission: Submission) -> str:
        return f"{submission.problems_done}/{submission.problems_total}"

    @admin.action(description="Publish selected submissions")
    def publish(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        done = queryset.filter(status=Submission.Status.DONE)
        isolated = [submission.pk for submission in done if is_isolated(submission)]
        self._publish(request, done.filter(pk__in=isolated))
        if unisolated := done.count() - len(isolated):
            self.message_user(
                request,
                f"{unisolated} not published: they did not run under bubblewrap; use "
                "“Publish without isolation” to publish them anyway.",
                messages.WARNING,
            )
        if skipped := queryset.count() - done.count():
            self.message_user(
                request, f"{skipped} not published: only done ones can be.", messages.WARNING
            )

    @admin.action(description="Publish without isolation (asks to confirm)")
    def publish_without_isolation(
        self, request: HttpRequest, queryset: QuerySet[Submission]
    ) -> TemplateResponse | None:
        done = queryset.filter(status=Submission.Status.DONE)
        if request.POST.get("confirm") != "yes":
            return TemplateResponse(
                request,
                "admin/leaderboard/submission/publish_without_isolation.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Publish without isolation?",
                    "opts": self.model._meta,
                    "submissions": [(submission, isolations(submission)) for submission in done],
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        self._publish(request, done)
        if skipped := queryset.count() - done.count():
            self.message_user(
                request, f"{skipped} not published: only done ones can be.", messages.WARNING
            )
        return None  # back to the change list

    def _publish(self, request: HttpRequest, submissions: QuerySet[Submission]) -> None:
        count = submissions.update(visibility=Submission.Visibility.PUBLISHED)
        invalidate_on_commit()  # update() sends no signal
        self.message_user(request, f"{count} submissions published.")

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
    list_display = ("short_submission", "problem", "n", "c", "wall_seconds", "worker", "created")
    list_select_related = ("submission__model", "problem")
    search_fields = ("problem__task_id",)

    @admin.display(description="Submission", ordering="submission")
    def short_submission(self, result: ProblemResult) -> str:
        return truncated(str(result.submission))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
