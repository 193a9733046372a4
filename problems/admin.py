from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from problems.models import Problem, Tag


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    list_display = ("task_id", "title", "tag_list", "active", "is_validated")
    list_display_links = ("task_id", "title")
    list_filter = ("active", "tags")
    search_fields = ("task_id", "title", "entry_point", "prompt")
    filter_horizontal = ("tags",)
    readonly_fields = ("content_hash", "validated_hash", "updated")
    actions = ["validate"]
    fieldsets = (
        (None, {"fields": ("task_id", "index", "slug", "title", "entry_point", "tags", "active")}),
        ("Code", {"fields": ("prompt", "input_generator", "reference_solution", "checker")}),
        ("Levels", {"fields": ("level_sizes", "tests_per_level", "hardness")}),
        ("Validation", {"fields": ("content_hash", "validated_hash", "updated")}),
    )
    # Every text field of a problem is Python source: keep its indentation and final newline.
    formfield_overrides = {
        models.TextField: {
            "strip": False,
            "widget": forms.Textarea(attrs={"class": "code", "rows": 14, "spellcheck": "false"}),
        },
    }

    class Media:
        css = {"all": ["css/admin-code.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Problem]:
        return super().get_queryset(request).prefetch_related("tags")

    @admin.display(description="Tags")
    def tag_list(self, problem: Problem) -> str:
        return ", ".join(tag.name for tag in problem.tags.all())

    @admin.display(description="Validated", boolean=True)
    def is_validated(self, problem: Problem) -> bool:
        return problem.validated_hash == problem.content_hash

    @admin.action(description="Validate selected problems (runs them in the sandbox)")
    def validate(self, request: HttpRequest, queryset: QuerySet[Problem]) -> None:
        # Imported on use: only this action needs the engine and its sandbox.
        from evaluation.api import validate_problem

        passed = []
        for problem in queryset:
            try:
                spec = problem.to_spec()
            except ValueError:
                errors = ["level sizes, tests per level and hardness must be numbers"]
            else:
                errors = validate_problem(spec)
            if errors:
                self.message_user(
                    request, f"{problem.task_id} failed: {'; '.join(errors)}", messages.ERROR
                )
                continue
            # The hash of what was validated: a concurrent edit leaves the problem unvalidated.
            problem.validated_hash = spec.content_hash()
            problem.save(update_fields=["validated_hash"])
            passed.append(problem.task_id)
        if passed:
            self.message_user(
                request, f"Validated {len(passed)}: {', '.join(passed)}", messages.SUCCESS
            )


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "problem_count")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tag]:
        return super().get_queryset(request).annotate(problem_count=Count("problems"))

    @admin.display(description="Problems", ordering="problem_count")
    def problem_count(self, tag: Tag) -> int:
        return tag.problem_count  # type: ignore[attr-defined]  # get_queryset's annotate()
