"""Calling the JSON API in tests."""

from __future__ import annotations

from .conftest import PASSWORD


class Api:
    """The test client with a bearer token: api.get/post/patch/delete(path, json=...)."""

    def __init__(self, client, token: str | None = None):
        self.client = client
        self.token = token

    @classmethod
    def login(cls, client, email: str, password: str = PASSWORD) -> Api:
        response = client.post("/api/v1/auth/tokens", json={"email": email, "password": password})
        assert response.status_code == 201, response.get_json()
        return cls(client, response.get_json()["token"])

    def _headers(self, headers=None):
        out = dict(headers or {})
        if self.token:
            out["Authorization"] = f"Bearer {self.token}"
        return out

    def get(self, path, **kwargs):
        return self.client.get(
            f"/api/v1{path}", headers=self._headers(kwargs.pop("headers", None)), **kwargs
        )

    def post(self, path, json=None, **kwargs):
        return self.client.post(
            f"/api/v1{path}",
            json=json if json is not None else {},
            headers=self._headers(kwargs.pop("headers", None)),
            **kwargs,
        )

    def patch(self, path, json=None, **kwargs):
        return self.client.patch(
            f"/api/v1{path}",
            json=json or {},
            headers=self._headers(kwargs.pop("headers", None)),
            **kwargs,
        )

    def delete(self, path, **kwargs):
        return self.client.delete(
            f"/api/v1{path}", headers=self._headers(kwargs.pop("headers", None)), **kwargs
        )


def error_of(response) -> dict:
    """The error body, checked against the documented format."""
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields", "request_id"}, body
    return body["error"]
