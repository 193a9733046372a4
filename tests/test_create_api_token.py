from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def create_api_token(username: str) -> str:
    out = StringIO()
    call_command("create_api_token", username, stdout=out)
    return out.getvalue().strip()


def test_prints_the_same_token_each_time() -> None:
    user = get_user_model().objects.create_user("ada")
    key = create_api_token("ada")
    assert key == Token.objects.get(user=user).key
    assert create_api_token("ada") == key


def test_unknown_user_is_one_line_error() -> None:
    with pytest.raises(CommandError, match=r"^No user named 'nobody'\.$"):
        create_api_token("nobody")
    assert not Token.objects.exists()
