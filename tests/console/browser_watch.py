"""What a console page did that it must not (dialogs, script errors, policy violations, requests leaving
127.0.0.1), the sign-in by the form at ``/``, and 1440x900 screenshots into test-artifacts/."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORT = {"width": 1440, "height": 900}


@dataclass
class Watch:
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    policies: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        def on_dialog(dialog) -> None:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda message: self.violations.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.on("request", lambda request: self.outside.append(request.url)
                if urlsplit(request.url).hostname not in ("127.0.0.1", None)
                and not request.url.startswith(("data:", "blob:")) else None)

        def on_response(response) -> None:
            if response.request.resource_type == "document" and \
                    response.headers.get("content-type", "").startswith("text/html"):
                self.policies.append(response.headers.get("content-security-policy", ""))

        page.on("response", on_response)

    def check(self) -> None:
        assert self.dialogs == [], f"a hostile name ran script: {self.dialogs}"
        assert self.errors == [], f"script errors on the page: {self.errors}"
        assert self.violations == [], f"Content-Security-Policy violations: {self.violations}"
        assert self.outside == [], f"requests left 127.0.0.1: {self.outside}"
        assert self.policies and all("script-src 'self' 'nonce-" in p for p in self.policies), self.policies


def sign_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("#signin-form button[type=submit]")


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=False)
