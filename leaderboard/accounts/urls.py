"""Sign up, log in and log out (Django's auth views, with our templates), and the API token
page."""

from django.contrib.auth import views as auth_views
from django.urls import path

from leaderboard.accounts import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("token/", views.token, name="token"),
]
