import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_openapi_schema_lists_every_endpoint(client: Client) -> None:
    response = client.get("/api/schema", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Effboard API"
    assert {
        "/api/leaderboard",
        "/api/models/{slug}",
        "/api/problems",
        "/api/submissions",
        "/api/submissions/{id}",
    } <= set(schema["paths"])
    assert "tokenAuth" in schema["components"]["securitySchemes"]
