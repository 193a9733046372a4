"""The leaderboard's GET filter form: query string in, LeaderboardFilters out."""

from dataclasses import dataclass

from django import forms
from django.http import QueryDict

from leaderboard.standings.queries import LARGER_KS, SORT_KEYS, LeaderboardFilters, LeaderboardTable
from problems.models import Tag


class LeaderboardFilterForm(forms.Form):
    tag = forms.ChoiceField(required=False, label="Problems")
    weights = forms.ChoiceField(
        required=False,
        choices=[("", "Any weights"), ("open", "Open weights"), ("closed", "Closed weights")],
    )
    size_min = forms.FloatField(required=False, min_value=0, label="Size from (B)")
    size_max = forms.FloatField(required=False, min_value=0, label="to (B)")
    q = forms.CharField(required=False, max_length=120, label="Name contains")
    complete = forms.BooleanField(required=False, label="Complete submissions only")
    sort = forms.ChoiceField(
        required=False, choices=[(key, key) for key in SORT_KEYS], widget=forms.HiddenInput
    )
    dir = forms.ChoiceField(
        required=False, choices=[("asc", "asc"), ("desc", "desc")], widget=forms.HiddenInput
    )

    def __init__(self, data: QueryDict, *args, **kwargs) -> None:
        super().__init__(data, *args, **kwargs)
        tag = self.fields["tag"]
        assert isinstance(tag, forms.ChoiceField)  # as declared above
        tag.choices = [("", "All problems"), *Tag.objects.values_list("slug", "name")]

    def filters(self) -> LeaderboardFilters:
        """The valid part of the query: a bad value is ignored rather than failing the page."""
        self.is_valid()
        data = self.cleaned_data
        return LeaderboardFilters(
            tag=data.get("tag") or "",
            weights=data.get("weights") or "",
            size_min=data.get("size_min"),
            size_max=data.get("size_max"),
            q=(data.get("q") or "").strip(),
            complete=bool(data.get("complete")),
            sort=data.get("sort") or "rank",
            direction=data.get("dir") or "asc",
        )


COLUMN_LABELS = {
    "rank": "Rank",
    "model": "Model",
    "organisation": "Organisation",
    "size": "Size (B)",
    "eff1": "eff@1",
    "pass1": "pass@1",
    **{f"{metric}{k}": f"{metric}@{k}" for k in LARGER_KS for metric in ("eff", "pass")},
    "n": "n (fewest)",
    "covered": "Coverage",
    "date": "Date",
}
# Where "better" is the small end, a first click sorts ascending.
ASCENDING_FIRST = {"rank", "model", "organisation"}


@dataclass(frozen=True)
class SortColumn:
    key: str
    label: str
    url: str  # the query string that sorts by this column
    direction: str  # "asc" or "desc" when the table is sorted by it, else ""


def sort_columns(params: QueryDict, table: LeaderboardTable) -> list[SortColumn]:
    """The table's header links, keeping the other filters; only the k columns shown."""
    hidden = {f"{metric}{k}" for k in LARGER_KS if k not in table.ks for metric in ("eff", "pass")}
    current = table.filters
    columns = []
    for key, label in COLUMN_LABELS.items():
        if key in hidden:
            continue
        if current.sort == key:
            direction = "desc" if current.direction == "asc" else "asc"
        else:
            direction = "asc" if key in ASCENDING_FIRST else "desc"
        query = params.copy()
        query["sort"], query["dir"] = key, direction
        query.pop("page", None)  # a new order starts at its first page
        columns.append(
            SortColumn(
                key,
                label,
                "?" + query.urlencode(),
                current.direction if current.sort == key else "",
            )
        )
    return columns
