from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from leaderboard.api import serializers
from leaderboard.models import LanguageModel, Submission
from leaderboard.project.shared_responses import mark_shared
from leaderboard.standings.leaderboard_cache import cached
from leaderboard.standings.queries import LeaderboardFilters, leaderboard_table, visible_submissions
from leaderboard.submissions import submission_progress
from leaderboard.uploads.ratelimit import rate_limit_message, seconds_until_upload_allowed
from leaderboard.uploads.services import find_or_new_model, queue_upload
from problems.models import Problem


class UploadThrottle(BaseThrottle):
    """The "uploads" scope: settings.UPLOAD_RATE_LIMIT per user, counted from their submissions.

    Counting rows instead of keeping DRF's cached request history makes the limit the web
    form's too, the same in every process, and counts only uploads that were accepted.
    """

    scope = "uploads"

    def allow_request(self, request: Request, view: APIView) -> bool:
        self.wait_seconds = seconds_until_upload_allowed(request.user)
        return self.wait_seconds == 0

    def wait(self) -> float:
        return self.wait_seconds


_PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="Page number, from 1"),
    OpenApiParameter("page_size", int, description="Rows per page (default 100, at most 500)"),
]


class LeaderboardPagination(PageNumberPagination):
    # As many rows as the leaderboard page shows; a script may ask for up to 500 at once.
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


class LeaderboardView(APIView):
    """One row per model: its latest published submission on the current problem set.

    Field names are the leaderboard export's (README "Exports"); `page` and `page_size`
    (default 100, at most 500) page through the rows, `next` links the following page.
    """

    @extend_schema(
        parameters=[serializers.LeaderboardQuerySerializer, *_PAGE_PARAMETERS],
        responses=serializers.LeaderboardPageSerializer,
    )
    def get(self, request: Request) -> Response:
        query = serializers.LeaderboardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = LeaderboardFilters(**query.validated_data)
        pages = LeaderboardPagination()

        def body() -> bytes | None:
            table = leaderboard_table(filters)
            try:
                rows = pages.paginate_queryset(table.rows, request, view=self)
            except NotFound:  # cached as None: a bad page number must not hold the lock
                return None
            start = (pages.page.number - 1) * pages.page.paginator.per_page
            page = table.rows_between(start, start + len(rows))
            data = serializers.LeaderboardSerializer(
                page, context={"problems_scored": len(table.problems)}
            ).data
            return JSONRenderer().render({
                "count": pages.page.paginator.count,
                "next": pages.get_next_link(),
                "previous": pages.get_previous_link(),
                **data,
            })

        # Cached as the JSON text: rendering 500 rows again each time costs more than the rest.
        # The links in it are absolute: the host is part of the key.
        key = (filters, request.get_host(), request.query_params.get("page", "1"),
               request.query_params.get(pages.page_size_query_param, ""))
        content = cached("api", key, body)
        if content is None:
            raise NotFound("No such page")
        # The same rows for everyone: the table is public, whoever asks.
        return mark_shared(HttpResponse(content, content_type="application/json"))


class ModelDetailView(generics.RetrieveAPIView):
    """A model and its published results."""

    queryset = LanguageModel.objects.all()
    serializer_class = serializers.LanguageModelSerializer
    lookup_field = "slug"


class ProblemPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ProblemListView(generics.ListAPIView):
    """The active ENAMEL problems, in index order."""

    serializer_class = serializers.ProblemSerializer
    pagination_class = ProblemPagination

    def get_queryset(self) -> QuerySet[Problem]:
        return Problem.objects.filter(active=True).prefetch_related("tags").order_by("index")


def status_payload(request: Request, submission: Submission) -> dict:
    return {
        **submission_progress(submission),
        "model": submission.model.name,
        "visibility": submission.visibility,
        "status_url": request.build_absolute_uri(reverse("uploads:status", args=[submission.pk])),
    }


class SubmissionView(APIView):
    """A submission's status, progress and metrics; unpublished ones to their owner and staff."""

    @extend_schema(responses=serializers.SubmissionStatusSerializer)
    def get(self, request: Request, pk: int) -> Response:
        submission = get_object_or_404(visible_submissions(request.user), pk=pk)
        return Response(status_payload(request, submission))


class SubmissionCreateView(APIView):
    """Upload a sample file (multipart) to be evaluated; needs `Authorization: Token …`."""

    parser_classes = [MultiPartParser]
    permission_classes = [IsAuthenticated]
    throttle_classes = [UploadThrottle]

    @extend_schema(
        request=serializers.UploadSerializer,
        responses={
            201: serializers.UploadedSerializer,
            400: OpenApiResponse(description="The file or a field is not valid"),
            401: OpenApiResponse(description="No or a wrong token"),
            429: OpenApiResponse(description="Too many uploads"),
        },
    )
    def post(self, request: Request) -> Response:
        upload = serializers.UploadSerializer(data=request.data)
        if not upload.is_valid():
            return _bad_request(
                "; ".join(
                    f"{field}: {' '.join(str(message) for message in messages)}"
                    for field, messages in upload.errors.items()
                )
            )
        data = upload.validated_data
        try:
            model = find_or_new_model(data["model"], organisation=data["organisation"])
            submission = queue_upload(
                model=model,
                upload=data["file"],
                submitter=request.user,
                temperature=data["temperature"],
                notes=data["notes"],
            )
        except ValueError as error:  # a taken model name, or a SampleFormatError
            return _bad_request(str(error))
        return Response(
            {
                "id": submission.pk,
                "status": submission.status,
                "status_url": request.build_absolute_uri(
                    reverse("uploads:status", args=[submission.pk])
                ),
                "api_url": request.build_absolute_uri(
                    reverse("api:submission", args=[submission.pk])
                ),
            },
            status=status.HTTP_201_CREATED,
        )

    def throttled(self, request: Request, wait: float) -> None:
        raise Throttled(wait, detail=rate_limit_message(int(wait)))


def _bad_request(message: str) -> Response:
    return Response({"detail": message}, status=status.HTTP_400_BAD_REQUEST)
