"""Shared pieces of the mobile form's browser tests: a phone-sized zh-CN context, a watch on requests."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.inspection_seed import SITE_LAT, SITE_LON

PASSWORD = "field-pass-123"
PHONE = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai", "viewport": {"width": 390, "height": 844}}
HERE = {"longitude": SITE_LON + 0.002, "latitude": SITE_LAT}


class Watch:
    """Fails the test on any request leaving 127.0.0.1, and on failed requests while online."""

    def __init__(self, context) -> None:
        self.outside: list[str] = []
        self.failed: list[str] = []
        self.failed_offline: list[str] = []
        self.offline = False
        context.on("request", self._request)
        context.on("requestfailed", self._failed)

    def _request(self, request) -> None:
        host = urlsplit(request.url).hostname
        if request.url.startswith(("data:", "blob:")):
            return
        if host != "127.0.0.1":
            self.outside.append(request.url)

    def _failed(self, request) -> None:
        (self.failed_offline if self.offline else self.failed).append(f"{request.method} {request.url}")

    def wait_failed_offline(self, page, method: str, path_end: str, timeout_ms: int = 15_000) -> bool:
        """Events reach the test only while it calls into Playwright, so poll rather than look once."""
        waited = 0
        while waited <= timeout_ms:
            if any(f.startswith(method) and f.endswith(path_end) for f in self.failed_offline):
                return True
            page.wait_for_timeout(100)
            waited += 100
        return False

    def check(self) -> None:
        assert self.outside == [], f"requests left 127.0.0.1: {self.outside}"
        assert self.failed == [], f"failed requests: {self.failed}"


def phone_context(browser):
    context = browser.new_context(geolocation=HERE, permissions=["geolocation"], **PHONE)
    return context, Watch(context)


def sign_in(page, url: str, username: str = "inspector_li") -> None:
    page.goto(f"{url}/m/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#tasks, #no-tasks")
