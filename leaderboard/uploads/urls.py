from django.urls import path

from leaderboard.uploads import views

app_name = "uploads"
urlpatterns = [
    path("submit", views.submit, name="submit"),
    path("submissions/<int:pk>/status/", views.status, name="status"),
    path("submissions/mine/", views.mine, name="mine"),
]
