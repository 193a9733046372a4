import pytest
from django.urls import reverse

from tests.site_data import (
    add_result,
    enamel_upload,
    make_model,
    make_problem,
    make_submission,
    sample,
)

pytestmark = pytest.mark.django_db

CODE = [
    "def f3(x):\n    return sorted(x)\n",
    "def f3(x):\n    return '<script>alert(1)</script>'\n",
]


@pytest.fixture
def submission():
    problem = make_problem(3)
    submission = make_submission(make_model("Coder"), upload=enamel_upload({3: CODE}))
    result = add_result(submission, problem, [0.75, None])
    result.samples[1] = sample(None, error="ValueError: <bad> input")
    result.save()
    return submission


def url(submission, task_index=3, number=0):
    return reverse("leaderboard:sample", args=[submission.pk, task_index, number])


def test_sample_code_is_highlighted_with_levels(client, submission):
    response = client.get(url(submission))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<div class="highlight">' in html and "sorted" in html
    assert "75.0%" in html  # efficiency, and each level's
    assert "100 ms" in html  # level 2's slowest test
    assert 'rel="next"' in html and 'rel="prev"' not in html


def test_failure_reason_and_code_are_escaped(client, submission):
    html = client.get(url(submission, number=1)).content.decode()
    assert "wrong answer" in html
    assert "ValueError: &lt;bad&gt; input" in html
    assert "<script>alert(1)</script>" not in html
    assert 'rel="prev"' in html


def test_unreadable_upload_still_shows_the_result(client, submission):
    submission.upload = b"not json"
    submission.save()
    html = client.get(url(submission)).content.decode()
    assert "no longer yields this sample" in html and "75.0%" in html


@pytest.mark.parametrize("task_index, number", [(3, 2), (4, 0), (99, 0)])
def test_missing_sample_is_404(client, submission, task_index, number):
    make_problem(4)
    assert client.get(url(submission, task_index, number)).status_code == 404


def test_pending_submission_samples_are_404(client, submission):
    submission.visibility = "pending"
    submission.save()
    assert client.get(url(submission)).status_code == 404
