from rest_framework import serializers

from leaderboard.models import LanguageModel, Submission
from leaderboard.standings.queries import LARGER_KS, SORT_KEYS, LeaderboardRow, LeaderboardTable
from problems.models import Problem


class ProblemSerializer(serializers.ModelSerializer):
    tags = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Problem
        fields = ["task_id", "index", "slug", "title", "entry_point", "prompt", "tags"]


class PublishedSubmissionSerializer(serializers.ModelSerializer):
    isolation = serializers.SerializerMethodField(
        help_text="The sandbox's isolation it was evaluated under (bubblewrap or rlimits)"
    )
    problems_covered = serializers.IntegerField(
        source="problems_total", help_text="Problems the file has samples for"
    )
    problems_scored = serializers.IntegerField(
        source="problem_set_size", help_text="Active problems its metrics average over"
    )

    class Meta:
        model = Submission
        fields = ["id", "created", "finished", "temperature", "samples_per_problem", "metrics",
                  "problems_covered", "problems_scored", "isolation"]

    def get_isolation(self, submission: Submission) -> str:
        return submission.environment.get("isolation", "")


class LanguageModelSerializer(serializers.ModelSerializer):
    submissions = serializers.SerializerMethodField()

    class Meta:
        model = LanguageModel
        fields = [
            "name",
            "slug",
            "organisation",
            "parameters_billions",
            "open_weights",
            "link",
            "description",
            "submissions",
        ]

    def get_submissions(self, model: LanguageModel) -> list[dict]:
        published = model.submissions.filter(
            visibility=Submission.Visibility.PUBLISHED, status=Submission.Status.DONE
        )
        return PublishedSubmissionSerializer(published, many=True).data


class SubmissionStatusSerializer(serializers.Serializer):
    """submission_progress() of one submission, with what it is and where to watch it."""

    id = serializers.IntegerField()
    model = serializers.CharField()
    status = serializers.ChoiceField(Submission.Status.choices)
    visibility = serializers.ChoiceField(Submission.Visibility.choices)
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.FloatField()
    eta_seconds = serializers.FloatField(allow_null=True)
    metrics = serializers.DictField(child=serializers.FloatField(allow_null=True))
    failure_reason = serializers.CharField(allow_blank=True)
    warnings = serializers.ListField(child=serializers.CharField())
    status_url = serializers.URLField()


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    model = serializers.CharField(
        max_length=120, help_text="An existing model's name or slug, or a new model's name"
    )
    organisation = serializers.CharField(max_length=120, required=False, default="")
    temperature = serializers.FloatField(
        min_value=0, max_value=10, required=False, allow_null=True, default=None
    )
    notes = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


class UploadedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    status_url = serializers.URLField()
    api_url = serializers.URLField()


class LeaderboardQuerySerializer(serializers.Serializer):
    """The leaderboard's filters, as query parameters."""

    tag = serializers.SlugField(required=False, default="")
    weights = serializers.ChoiceField(["", "open", "closed"], required=False, default="")
    size_min = serializers.FloatField(required=False, allow_null=True, default=None)
    size_max = serializers.FloatField(required=False, allow_null=True, default=None)
    q = serializers.CharField(max_length=120, required=False, default="")
    sort = serializers.ChoiceField(SORT_KEYS, required=False, default="rank")
    direction = serializers.ChoiceField(["asc", "desc"], required=False, default="asc")
    complete = serializers.BooleanField(
        required=False, default=False, help_text="Only submissions that cover every problem"
    )


class MetricAtK(serializers.FloatField):
    """A row's eff@k or pass@k for one k > 1 (from its eff_at or pass_at), None where n < k."""

    def __init__(self, k: int, **kwargs) -> None:
        self.k = k
        super().__init__(allow_null=True, **kwargs)

    def get_attribute(self, instance: LeaderboardRow) -> float | None:
        return super().get_attribute(instance)[self.k]


class LeaderboardRowSerializer(serializers.Serializer):
    """A row under the leaderboard export's column names (README "Exports")."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # Names such as "eff@1" cannot be class attributes: declared here, with their sources.
        optional = {"allow_null": True}
        at_larger_ks = {
            f"{metric}@{k}": MetricAtK(k, source=f"{metric}_at")
            for k in LARGER_KS
            for metric in ("eff", "pass")
        }
        return {
            "model": serializers.CharField(source="name"),
            "slug": serializers.CharField(),
            "organisation": serializers.CharField(),
            "open_weights": serializers.BooleanField(),
            "parameters_billions": serializers.FloatField(**optional),
            "rank": serializers.IntegerField(),
            "eff@1": serializers.FloatField(source="eff1"),
            "eff@1_ci_low": serializers.FloatField(source="eff1_ci_low"),
            "eff@1_ci_high": serializers.FloatField(source="eff1_ci_high"),
            "pass@1": serializers.FloatField(source="pass1"),
            **at_larger_ks,
            "n": serializers.IntegerField(),
            "date": serializers.DateTimeField(),
            "submission_id": serializers.IntegerField(),
            "problems_covered": serializers.IntegerField(source="covered"),
            "problems_scored": serializers.SerializerMethodField(),
            "complete": serializers.BooleanField(),
            "isolation": serializers.CharField(),
            "tags": serializers.SerializerMethodField(),
        }

    def get_problems_scored(self, row: LeaderboardRow) -> int:
        return self.context["problems_scored"]

    def get_tags(self, row: LeaderboardRow) -> dict[str, dict[str, float | None]]:
        return {
            score.tag.slug: {"eff@1": score.eff1, "pass@1": score.pass1} for score in row.tags
        }


class LeaderboardSerializer(serializers.Serializer):
    problem_set_hash = serializers.CharField()
    tag = serializers.SerializerMethodField()
    problems = serializers.SerializerMethodField()
    ranked_models = serializers.IntegerField()
    rows = LeaderboardRowSerializer(many=True)

    def get_tag(self, table: LeaderboardTable) -> str | None:
        return table.tag.slug if table.tag else None

    def get_problems(self, table: LeaderboardTable) -> list[str]:
        return [problem.task_id for problem in table.problems]


class LeaderboardPageSerializer(LeaderboardSerializer):
    """One page of rows (`page`, `page_size`), with the links to the others."""

    count = serializers.IntegerField(help_text="Rows matching the filters, on every page")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
