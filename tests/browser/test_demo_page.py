"""The demo page in headless Chromium: pick a photo, fill the fields, submit, read the price.

Chromium is Debian's package (`make browser-deps`); Playwright drives that binary, so no browser
is downloaded. The service runs in uvicorn in a thread, on the fake predictor: this test is
about the page, not the model.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from service.api.app import create_app
from service.api.settings import Settings
from tests.api.fakes import FakePredictor, expected_price, factory_of, jpeg
from tests.serving import free_port, serving

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
API_KEY = "demo-page-test-key-0123"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 800}


@contextmanager
def _serving(**settings: Any) -> Iterator[str]:
    """The service on a free local port, in a thread; yields its base URL."""
    port = free_port()
    config = Settings(model_uri="models:/fake/1", reload_interval_s=0, port=port, **settings)
    with serving(create_app(config, factory_of(FakePredictor()), lambda uri: None), port) as url:
        yield url


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with _serving() as url:
        yield url


@pytest.fixture(scope="module")
def guarded_url() -> Iterator[str]:
    """The service with an API key."""
    with _serving(api_key=API_KEY) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.is_file(), f"{CHROMIUM} is missing: run `make browser-deps`"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(params=[LAPTOP, PHONE], ids=["laptop", "phone"])
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport=request.param, locale="en-US")
    yield context.new_page()
    context.close()


def test_pick_photo_fill_fields_submit_and_read_the_price(
    page: Page, base_url: str, tmp_path: Path
) -> None:
    photo = tmp_path / "coat.jpg"
    photo.write_bytes(jpeg((40, 30)))
    page.goto(base_url)
    expect(page.locator("#model-line")).to_contain_text("fake v1")
    expect(page.locator("#key-row")).to_be_hidden()  # no key configured
    page.set_input_files("#f-photo", str(photo))
    expect(page.locator("#preview-photo")).to_be_visible()
    page.fill("#f-brand", "Nordvik")
    page.fill("#f-year", "2015")
    page.fill("#f-description", "wool coat, like new")
    page.click("#submit")
    expect(page.locator("#result")).to_be_visible()
    price = expected_price(2015, "wool coat, like new", photo=True)
    expect(page.locator("#price")).to_have_text(f"{price:,.2f}")
    expect(page.locator("#range")).to_contain_text(f"{price * 0.8:,.2f}")
    expect(page.locator("#answered-by")).to_have_text("fake v1")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than the viewport"


def test_a_bad_field_is_shown_next_to_it(page: Page, base_url: str) -> None:
    page.goto(base_url)
    page.fill("#f-year", "1800")
    page.click("#submit")
    error = page.locator('[data-field="year"] .field-error')
    expect(error).to_contain_text("1800 is below the minimum 1960")
    expect(page.locator("#result")).to_be_hidden()


def test_a_guarded_service_asks_for_the_key_first(page: Page, guarded_url: str) -> None:
    page.goto(guarded_url)
    expect(page.locator("#model-line")).to_contain_text("needs an API key")
    page.fill("#api-key", API_KEY)
    page.click("#submit")
    expect(page.locator("#model-line")).to_contain_text("fake v1")
    page.fill("#f-year", "2001")
    page.click("#submit")
    expect(page.locator("#price")).to_have_text(f"{expected_price(2001):,.2f}")
