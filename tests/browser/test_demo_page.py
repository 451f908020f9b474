"""The demo page in headless Chromium: pick a photo, fill the fields, submit, read the price and
why (a bar per feature with its price ratio, cards of similar sold items).

Chromium is Debian's package (`make browser-deps`); Playwright drives that binary, so no browser
is downloaded. The service runs in uvicorn in a thread, on the fake predictor: this test is
about the page, not the model.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from service.api.app import create_app
from service.api.settings import Settings
from tests.api.fakes import FakePredictor, b64, expected_price, factory_of, jpeg
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
DESCRIPTION = "wool coat, like new"
TIMES = "\N{MULTIPLICATION SIGN}"  # the page's ratio labels start with it


@contextmanager
def _serving(predictor: FakePredictor | None = None, **settings: Any) -> Iterator[str]:
    """The service on a free local port, in a thread; yields its base URL."""
    port = free_port()
    config = Settings(model_uri="models:/fake/1", reload_interval_s=0, port=port, **settings)
    factory = factory_of(predictor or FakePredictor())
    with serving(create_app(config, factory, lambda uri: None), port) as url:
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
def unexplained_url() -> Iterator[str]:
    """The service on a model logged without explanation data."""
    with _serving(FakePredictor(explainable=False)) as url:
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


def _fill_and_submit(page: Page, photo: Path) -> None:
    page.set_input_files("#f-photo", str(photo))
    page.fill("#f-brand", "Nordvik")
    page.fill("#f-year", "2015")
    page.fill("#f-description", DESCRIPTION)
    page.click("#submit")


def test_the_price_is_explained_by_ratio_bars_and_similar_sold_items(
    page: Page, base_url: str, tmp_path: Path
) -> None:
    photo = tmp_path / "coat.jpg"
    photo.write_bytes(jpeg((40, 30)))
    listing = {"brand": "Nordvik", "year": 2015, "description": DESCRIPTION}
    answer = httpx.post(
        f"{base_url}/v1/explain", json={**listing, "photo": b64(photo.read_bytes())}
    )
    explanation = answer.json()
    page.goto(base_url)
    expect(page.locator("#model-line")).to_contain_text("fake v1")
    _fill_and_submit(page, photo)
    expect(page.locator("#why")).to_be_visible()
    expect(page.locator("#price")).to_have_text(f"{explanation['price']:,.2f}")
    expect(page.locator("#baseline")).to_have_text(f"{explanation['baseline_price']:,.2f}")
    bars = page.locator("#contributions li")
    expect(bars).to_have_count(4)
    ratios = [c["ratio"] for c in explanation["contributions"]]
    labels = [f"{TIMES}{r:.2f}" if r < 10 else f"{TIMES}{r:.1f}" for r in ratios]
    expect(bars.locator(".ratio")).to_have_text(labels)
    expect(bars.nth(0)).to_have_class("contribution flat")  # the fake ignores the brand
    expect(bars.nth(0)).to_contain_text("Nordvik")
    expect(bars.nth(3)).to_have_class("contribution up")  # a photo raises the fake's price
    year, photo_bar = (bars.nth(i).locator(".fill").bounding_box() for i in (1, 3))
    assert year and photo_bar and photo_bar["width"] > year["width"]

    cards = page.locator("#comparables li")
    expect(page.locator("#similar")).to_be_visible()
    expect(cards).to_have_count(5)
    first = cards.nth(0)
    expect(first.locator(".sold-price")).to_contain_text(
        f"{expected_price(2015, DESCRIPTION, photo=True):,.2f}"
    )
    expect(first.locator(".facts")).to_have_text("Nordvik · Year 2015")
    expect(first.locator(".excerpt")).to_have_text(DESCRIPTION)
    thumbnail = first.locator("img")
    expect(thumbnail).to_have_attribute("src", re.compile(r"^data:image/jpeg;base64,"))
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth") == 48  # it decoded
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than the viewport"


def test_a_model_that_cannot_explain_still_prices(
    page: Page, unexplained_url: str, tmp_path: Path
) -> None:
    photo = tmp_path / "coat.jpg"
    photo.write_bytes(jpeg((40, 30)))
    page.goto(unexplained_url)
    expect(page.locator("#model-line")).to_contain_text("fake v1")
    _fill_and_submit(page, photo)
    price = expected_price(2015, DESCRIPTION, photo=True)
    expect(page.locator("#price")).to_have_text(f"{price:,.2f}")
    expect(page.locator("#why")).to_be_hidden()
    expect(page.locator("#similar")).to_be_hidden()
    expect(page.locator("#error")).to_be_hidden()
