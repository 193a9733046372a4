"""Helpers for the upload, status and API tests: tiny problems and sample files."""

import json

import redis

from problems.models import Problem
from tests.services import RedisServer

PROMPT = 'def add_{i}(x: int) -> int:\n    """Returns x + {i}."""\n'


def tiny_problems(count: int = 3) -> list[Problem]:
    """Active problems HumanEval/0 … whose tests run in milliseconds."""
    return [
        Problem.objects.create(
            task_id=f"HumanEval/{i}",
            index=i,
            slug=f"humaneval-{i}",
            title=f"Add {i}",
            entry_point=f"add_{i}",
            prompt=PROMPT.format(i=i),
            input_generator="def generate_input(size, lid, cid):\n    return (size,)\n",
            reference_solution=f"    return x + {i}\n",
            checker="def __check(input, answer, output):\n    return output == answer\n",
            level_sizes="1 10 100 1000",
            tests_per_level="2 1 1 1",
            active=True,
        )
        for i in range(count)
    ]


def solution(i: int) -> str:
    return PROMPT.format(i=i) + f"    return x + {i}\n"


def enamel_json(samples: dict[int, list[str]]) -> bytes:
    """ENAMEL's upload format: entry N lists the samples for problem N."""
    document = [samples.get(i) for i in range(max(samples) + 1)]
    return json.dumps(document).encode()


def use_redis(settings, server: RedisServer) -> None:
    """Points the RQ queues at the test's own redis, emptied."""
    settings.RQ_QUEUES = {"default": {"URL": server.url, "DEFAULT_TIMEOUT": 3600}}
    redis.Redis.from_url(server.url).flushall()
