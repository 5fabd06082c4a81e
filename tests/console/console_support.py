"""Helpers of the console tests: signing in by the form (the cookie a browser gets), the form token of a page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

PASSWORD = "correct-horse-9"
HOSTILE = ("<img src=x onerror=alert(1)>", "{{7*7}}", '"><script>alert(1)</script>')


def sign_in(client: TestClient, username: str, password: str = PASSWORD, next_path: str = "/") -> None:
    form = client.get("/")
    assert form.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf, form.text
    r = client.post("/signin", data={"username": username, "password": password, "csrf": csrf.group(1),
                                     "next": next_path}, follow_redirects=False)
    assert r.status_code == 303, r.text


def form_token(html: str) -> str:
    found = re.search(r'<meta name="csrf" content="([^"]+)"', html)
    assert found
    return found.group(1)
