from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from leaderboard.models import ProblemResult, Submission
from leaderboard.standings import profiles
from leaderboard.standings.queries import OUTCOME_LABELS, outcome, visible_submissions
from leaderboard.submissions import sample_codes
from problems.highlighting import python_html
from problems.models import Problem


def sample_detail(request: HttpRequest, pk: int, task_index: int, sample_no: int) -> HttpResponse:
    submission = get_object_or_404(visible_submissions(request.user), pk=pk)
    problem = get_object_or_404(Problem, index=task_index)
    result = get_object_or_404(ProblemResult, submission=submission, problem=problem)
    if sample_no >= len(result.samples):
        raise Http404("No such sample")
    sample = result.samples[sample_no]
    spec = problem.to_spec()
    times = sample["times"]
    # The reference that scored this sample (its chunk's), else the median over the problem's.
    reference = profiles.reference_times(times, sample["levels"], spec.hardness) or list(
        profiles.problem_profiles(spec.level_sizes, spec.hardness, result.samples).reference_times
    )
    ratios = profiles.time_ratios(times, reference)
    levels = [
        {
            "number": number,
            "size": size,
            "timed": spec.hardness[number] > 0,
            "time": times[number] if number < len(times) else None,
            "reference": reference[number] if number < len(reference) else None,
            "ratio": ratios[number] if number < len(ratios) else None,
            "efficiency": sample["levels"][number] if number < len(sample["levels"]) else None,
        }
        for number, size in enumerate(spec.level_sizes)
    ]
    found = profiles.profile(spec.level_sizes, spec.hardness, times)
    reference_profile = profiles.profile(spec.level_sizes, spec.hardness, reference)
    code, unreadable = _code(submission, problem, sample_no)
    return render(
        request,
        "leaderboard/sample.html",
        {
            "submission": submission,
            "problem": problem,
            "result": result,
            "sample_no": sample_no,
            "sample": sample,
            "levels": levels,
            "outcome": outcome(sample),
            "outcome_label": OUTCOME_LABELS[outcome(sample)],
            "exponent": found.exponent,
            "reference_exponent": reference_profile.exponent,
            "code_html": python_html(code) if code is not None else None,
            "reference_html": python_html(spec.reference_program),
            "unreadable": unreadable,
            "previous": sample_no - 1 if sample_no > 0 else None,
            "next": sample_no + 1 if sample_no + 1 < len(result.samples) else None,
        },
    )


def _code(submission: Submission, problem: Problem, sample_no: int) -> tuple[str | None, bool]:
    """The sample's code as the jobs ran it, and whether it could not be read."""
    codes = sample_codes(submission, problem.task_id)
    if codes is None or sample_no >= len(codes):
        return None, True
    return codes[sample_no], False
