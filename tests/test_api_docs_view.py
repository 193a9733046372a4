"""/api/docs/ renders the OpenAPI schema with Redoc, whose script we serve ourselves."""

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


def test_docs_page_uses_the_schema_and_local_assets(client: Client) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/schema" in html
    scripts = re.findall(r'<script src="([^"]+)"', html)
    static = settings.STATIC_URL  # "/static/" once Django has prefixed it
    assert scripts and all(src.startswith(static) for src in scripts), scripts  # no CDN
    for src in scripts:
        assert finders.find(src.removeprefix(static)), src
