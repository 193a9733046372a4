from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.views.generic import DetailView, ListView

from problems.highlighting import python_html
from problems.models import Problem, Tag
from problems.sections import page_sections


def _param(request, name: str) -> str:
    # PostgreSQL rejects NUL characters in queries: they can only be junk here.
    return request.GET.get(name, "").replace("\x00", "").strip()


class ProblemListView(ListView):
    template_name = "problems/problem_list.html"
    context_object_name = "problems"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[Problem]:
        self.query = _param(self.request, "q")
        self.tag_slug = _param(self.request, "tag")
        problems = Problem.objects.filter(active=True).prefetch_related("tags")
        if self.tag_slug:
            problems = problems.filter(tags__slug=self.tag_slug)
        if self.query:
            problems = problems.filter(
                Q(title__icontains=self.query)
                | Q(task_id__icontains=self.query)
                | Q(prompt__icontains=self.query)
            )
        return problems

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        tags = Tag.objects.annotate(
            problem_count=Count("problems", filter=Q(problems__active=True))
        ).filter(problem_count__gt=0).order_by("name")  # Meta.ordering skips GROUP BY queries
        filters = {"q": self.query, "tag": self.tag_slug}
        context.update(
            query=self.query,
            tag_slug=self.tag_slug,
            tags=tags,
            unknown_tag=bool(self.tag_slug) and not Tag.objects.filter(slug=self.tag_slug).exists(),
            # The filters in use, for the pagination links.
            filter_query=urlencode({name: value for name, value in filters.items() if value}),
        )
        return context


class ProblemDetailView(DetailView):
    template_name = "problems/problem_detail.html"
    context_object_name = "problem"
    queryset = Problem.objects.filter(active=True).prefetch_related("tags")

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        spec = self.object.to_spec()
        context.update(
            levels=[
                {"size": size, "tests": tests, "hardness": f"{hardness:g}"}
                for size, tests, hardness in zip(
                    spec.level_sizes, spec.tests_per_level, spec.hardness, strict=True
                )
            ],
            prompt_html=python_html(spec.prompt),
            reference_html=python_html(spec.reference_solution),
            sections=page_sections(self.request, self.object),
        )
        return context
