"""The test suite's problems: one factory, and the tiny evaluable problem the queue tests run.

(tests/sum_squares.py holds the engine tests' own problem spec, which needs no database.)
"""

from problems.models import Problem, Tag

ADDER_PROMPT = 'def add_{i}(x: int) -> int:\n    """Returns x + {i}."""\n'
CHECKER = "def __check(input, answer, output):\n    return output == answer\n"
# Raised while the checker loads: the engine cannot evaluate the problem at all.
BROKEN_CHECKER = "raise RuntimeError('checker is broken')\n" + CHECKER


def make_problem(index: int, *tags: Tag, validated: bool = False, **fields) -> Problem:
    """Active problem HumanEval/<index>, slug humaneval-<index>: f<index>(x) returns x, on
    levels of size 1 to 1000. `fields` set any other column (or override these);
    `validated` records its content hash as validated, as the admin's Validate action does."""
    problem = Problem(
        **{
            "task_id": f"HumanEval/{index}",
            "index": index,
            "slug": f"humaneval-{index}",
            "title": f"Problem {index}",
            "prompt": f"def f{index}(x):\n",
            "entry_point": f"f{index}",
            "input_generator": "def generate_input(size, lid, cid):\n    return (size,)\n",
            "level_sizes": "1 10 100 1000",
            "reference_solution": "    return x\n",
            "checker": CHECKER,
            "active": True,
            **fields,
        }
    )
    if validated:
        problem.validated_hash = problem.to_spec().content_hash()
    problem.save()
    problem.tags.add(*tags)
    return problem


def make_adder_problem(
    i: int, *, checker: str = CHECKER, reference_delay: float = 0.02
) -> Problem:
    """Active problem HumanEval/i, add_i(x) returns x + i, one test a level: a worker
    evaluates it in well under a second. Each reference run sleeps first: the timeout (twice
    the reference's time) then leaves a correct sample room on a busy machine, and a longer
    delay makes a job slow enough to be caught mid-run."""
    delay = f"    import time; time.sleep({reference_delay})\n" if reference_delay else ""
    return make_problem(
        i,
        title=f"Add {i}",
        entry_point=f"add_{i}",
        prompt=ADDER_PROMPT.format(i=i),
        reference_solution=f"{delay}    return x + {i}\n",
        checker=checker,
        tests_per_level="1 1 1 1",
    )


def solution(i: int) -> str:
    """A correct sample for make_adder_problem(i)."""
    return ADDER_PROMPT.format(i=i) + f"    return x + {i}\n"


def wrong_solution(i: int) -> str:
    return ADDER_PROMPT.format(i=i) + f"    return x - {i}\n"
