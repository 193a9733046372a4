from django.conf import settings
from django.contrib import admin
from django.http import FileResponse, HttpRequest
from django.urls import include, path
from django.views.decorators.cache import cache_control
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularRedocView

from leaderboard.project.health import healthz


@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> FileResponse:
    # Browsers ask for /favicon.ico whatever the page links, outside STATIC_URL.
    return FileResponse(open(settings.BASE_DIR / "static" / "favicon.ico", "rb"),
                        content_type="image/x-icon")


urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("leaderboard.pages.urls")),
    # The hardest problems' old address. It must come before problems/, whose problem pages
    # take any slug (tests/test_site_hardest_view.py fails otherwise).
    path(
        "problems/hardest/",
        RedirectView.as_view(pattern_name="leaderboard:hardest", permanent=True, query_string=True),
    ),
    path("problems/", include("problems.urls")),
    path("accounts/", include("leaderboard.accounts.urls")),
    path("api/docs/", SpectacularRedocView.as_view(url_name="api:schema"), name="api-docs"),
    path("api/", include("leaderboard.api.urls")),
    path("", include("leaderboard.uploads.urls")),
]
