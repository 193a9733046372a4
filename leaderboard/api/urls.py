from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from leaderboard.api import views

app_name = "api"
urlpatterns = [
    path("leaderboard", views.LeaderboardView.as_view(), name="leaderboard"),
    path("models/<slug:slug>", views.ModelDetailView.as_view(), name="model"),
    path("problems", views.ProblemListView.as_view(), name="problems"),
    path("submissions", views.SubmissionCreateView.as_view(), name="submissions"),
    path("submissions/<int:pk>", views.SubmissionView.as_view(), name="submission"),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
]
