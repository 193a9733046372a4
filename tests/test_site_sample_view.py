import pytest
from django.urls import reverse

from leaderboard.models import SubmissionFile, SubmissionSamples
from tests.factories import make_problem
from tests.site_data import (
    add_result,
    add_samples,
    enamel_upload,
    make_model,
    make_submission,
    sample,
    timed_sample,
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
    level_0 = html.split('<table class="levels">', 1)[1].split("</tr>")[1]
    assert "failed (checked only)" in level_0
    assert "wrong answer" in html
    assert "ValueError: &lt;bad&gt; input" in html
    assert "<script>alert(1)</script>" not in html
    assert 'rel="prev"' in html


def test_unreadable_upload_still_shows_the_result(client, submission):
    SubmissionFile.objects.filter(submission=submission).update(data=b"not json")
    html = client.get(url(submission)).content.decode()
    assert "no longer yields this sample" in html and "75.0%" in html


def test_code_comes_from_the_samples_the_jobs_ran(client, submission):
    # Stored per problem when queued: the file (up to 50 MiB) is not parsed for one sample.
    SubmissionFile.objects.filter(submission=submission).update(data=b"not json")
    ran = "def f3(x):\n    return list(reversed(sorted(x)))\n"
    SubmissionSamples.objects.create(submission=submission, task_id="HumanEval/3", n=2,
                                     codes=[ran, CODE[1]])
    html = client.get(url(submission)).content.decode()
    assert "reversed" in html and "no longer yields" not in html


@pytest.mark.parametrize("task_index, number", [(3, 2), (4, 0), (99, 0)])
def test_missing_sample_is_404(client, submission, task_index, number):
    make_problem(4)
    assert client.get(url(submission, task_index, number)).status_code == 404


def test_pending_submission_samples_are_404(client, submission):
    submission.visibility = "pending"
    submission.save()
    assert client.get(url(submission)).status_code == 404


def test_code_beside_the_reference_with_time_ratios(client):
    problem = make_problem(5)  # sizes 1 10 100 1000, reference "return x"
    submission = make_submission(make_model("Slow"), upload=enamel_upload({5: CODE[:1]}))
    reference = [1e-6, 1e-4, 1e-3, 1e-2]
    add_samples(submission, problem, [timed_sample([1e-6, 2e-6, 2e-4, 1.9e-2], reference)])
    html = client.get(url(submission, 5)).content.decode()
    rows = html.split('<table class="levels">', 1)[1].split("</table>", 1)[0].split("<tr")[2:]
    assert "passed (checked only)" in rows[0]
    assert "0.02 ×" in rows[1] and "0.20 ×" in rows[2] and "1.90 ×" in rows[3]
    assert "100 µs" in rows[1]  # the reference's time, solved from the sample's
    assert "Growth exponent</dt><dd>1.99 (the reference's: 1.00)" in html
    code, reference_code = html.split('<div class="side-by-side">', 1)[1].split("<section>")[1:3]
    assert "sorted" in code and "Reference solution" in reference_code
    assert '<span class="k">return</span> <span class="n">x</span>' in reference_code


def test_a_censored_sample_is_correct(client, submission):
    result = submission.results.get()
    result.samples[0].update(status="timeout", failed_level=2, error="timeout on level 2")
    result.save()
    html = client.get(url(submission)).content.decode()
    assert "correct, censored</span> (timeout on level 2" in html
    assert "Why it was censored" in html and "incorrect sample scores 0" not in html
    assert "Failed at" not in html
