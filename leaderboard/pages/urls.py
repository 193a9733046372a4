"""The public, read-only site: leaderboard, model, submission and sample pages, exports."""

from django.urls import path, re_path

from leaderboard.pages.views import exports, hardest, index, methodology, model, sample, submission

app_name = "leaderboard"
urlpatterns = [
    path("", index.index, name="index"),
    path("compare/", index.compare, name="compare"),
    path("methodology/", methodology.methodology, name="methodology"),
    path("models/<slug:slug>/", model.model_detail, name="model"),
    path("submissions/<int:pk>/", submission.submission_detail, name="submission"),
    path(
        "submissions/<int:pk>/samples/<int:task_index>/<int:sample_no>/",
        sample.sample_detail,
        name="sample",
    ),
    path("hardest/", hardest.hardest, name="hardest"),
    re_path(
        r"^export/leaderboard\.(?P<fmt>csv|json)$",
        exports.leaderboard_export,
        name="export-leaderboard",
    ),
    path(
        "export/submissions/<int:pk>/samples.jsonl",
        exports.samples_export,
        name="export-samples",
    ),
    re_path(
        r"^export/submissions/(?P<pk>[0-9]+)\.(?P<fmt>csv|json)$",
        exports.submission_export,
        name="export-submission",
    ),
]
