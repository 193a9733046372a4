from django.urls import path

from leaderboard import upload_views

app_name = "uploads"
urlpatterns = [
    path("submit", upload_views.submit, name="submit"),
    path("submissions/<int:pk>/status/", upload_views.status, name="status"),
    path("submissions/mine/", upload_views.mine, name="mine"),
]
