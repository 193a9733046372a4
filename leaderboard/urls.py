from django.contrib import admin
from django.urls import include, path

from leaderboard.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # Before problems/: the public site owns /problems/hardest/.
    path("", include("leaderboard.site_urls")),
    path("problems/", include("problems.urls")),
    path("accounts/", include("leaderboard.accounts")),
    path("api/", include("leaderboard.api.urls")),
    path("", include("leaderboard.upload_urls")),
]
