"""A small problem of our own for engine tests: fast to generate, real timings."""

from evaluation.spec import ProblemSpec

PROMPT = 'def sum_squares(xs: list) -> int:\n    """The sum of the squares of xs."""\n'
SPEC = ProblemSpec(
    index=900,
    task_id="Test/900",
    prompt=PROMPT,
    entry_point="sum_squares",
    input_generator=(
        "def generate_input(size, lid, cid):\n"
        "    return [random.randint(-1000, 1000) for _ in range(size)],\n"
    ),
    level_sizes=(5, 20000, 40000, 80000),
    reference_solution="    return sum(x * x for x in xs)\n",
    checker=(
        "def __check(input, answer, output):\n"
        "    return type(output) == type(answer) and output == answer\n"
    ),
)
FAST = PROMPT + "    return sum(x * x for x in xs)\n"
