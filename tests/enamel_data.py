"""ENAMEL's problems read straight from enamel.csv, as ProblemSpecs, for engine-level tests."""

import csv
from pathlib import Path

from evaluation.spec import ProblemSpec


def enamel_specs(enamel_dir: Path) -> list[ProblemSpec]:
    """All 164 rows, indexed by problem index, with ENAMEL's default level settings."""
    with open(enamel_dir / "enamel.csv", newline="") as handle:
        return [
            ProblemSpec(
                index=index, task_id=row["task_id"], prompt=row["prompt"],
                entry_point=row["entry_point"], input_generator=row["input_generator"],
                level_sizes=tuple(int(s) for s in row["input_levels"].split()),
                reference_solution=row["reference_solution"], checker=row["checker"],
            )
            for index, row in enumerate(csv.DictReader(handle))
        ]
