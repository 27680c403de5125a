"""Browser tests: real headless Chromium (Debian's) driven by Playwright against
pytest-django's live server.

Playwright's sync API runs an event loop in the test thread, so Django's async-safety check
would refuse database access from these tests; it is lifted for this folder only.

Every test that uses `page` leaves a screenshot of its final page (pass or fail) in
`artifacts/screenshots/<test name>.png` at the repository root (gitignored).
"""

import os
import re
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": CHROMIUM_FLAGS,
    }


@pytest.fixture(scope="session")
def base_url(pytestconfig) -> str | None:
    """pytest-playwright's own `base_url` (what `--base-url` or the ini option says), as a
    plain function: the plugin's is a session fixture defined as an instance method, which
    pytest deprecates (PytestRemovedIn10Warning)."""
    return pytestconfig.getoption("--base-url") or pytestconfig.getini("base_url") or None


SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture(autouse=True)
def final_page_screenshot(request):
    """After a browser test, save what its page shows last, named after the test."""
    if "page" not in request.fixturenames:
        yield None
        return
    page = request.getfixturevalue("page")  # torn down after this fixture: still open below
    yield page
    if page.is_closed():
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
