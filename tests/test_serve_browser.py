"""labeler serve in a real browser: the system Chromium (Debian package, never a downloaded build)
driven headless by Playwright. Two images made by Pillow (+ exiftool for the label) are dropped on
the page; the labelled one "passes", the other is "missing implicit label"; it is labelled on the
page, downloaded, and the download is read back with exiftool and verified.

``LABELER_SCREENSHOT=docs/serve.png`` also writes the README's screenshot of the main view."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from labeler.verify import verify_file

from .serve_tools import PRODUCER, exiftool_label, labelled_png, needs_exiftool, noticed_png, start

CHROMIUM = Path("/usr/bin/chromium")
SCRIPT_NAME = "<script>alert(1)</script>.png"
pytestmark = [pytest.mark.slow, needs_exiftool, pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed")]
sync_api = pytest.importorskip("playwright.sync_api")

#: Drops files on the drop zone as a person does: a DragEvent whose DataTransfer holds File objects.
DROP = """([zone, files]) => {
  const data = new DataTransfer();
  for (const [name, b64] of files) {
    const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
    data.items.add(new File([bytes], name, {type: "image/png"}));
  }
  document.querySelector(zone).dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
}"""


def test_drop_check_label_download(tmp_path: Path) -> None:
    folder = tmp_path / "assets"
    folder.mkdir()
    labelled = labelled_png(folder / "poster.png")
    unlabelled = noticed_png(folder / "banner.png", (200, 90, 40))
    original = unlabelled.read_bytes()
    process, port = start(tmp_path)
    dialogs: list[str] = []
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1000, "height": 760}, accept_downloads=True)
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("html[data-ready=yes]")
            files = [[p.name, base64.b64encode(p.read_bytes()).decode()] for p in (labelled, unlabelled)]
            files.append([SCRIPT_NAME, base64.b64encode(b"not an image at all").decode()])
            page.evaluate(DROP, ["#drop", files])

            cards = page.locator("article.card")
            sync_api.expect(cards).to_have_count(3)
            for card in (cards.nth(0), cards.nth(1), cards.nth(2)):
                sync_api.expect(card.locator(".result .verdict")).to_be_visible(timeout=180_000)
            assert cards.nth(0).locator("h3").inner_text() == "poster.png"
            assert cards.nth(0).locator(".verdict").inner_text() == "passes"
            assert cards.nth(1).locator(".verdict").inner_text() == "missing implicit label"
            assert cards.nth(1).locator("img.preview").count() == 1  # the report's thumbnail, notice outlined
            # The script-named file is shown as text: its name is the heading, nothing ran.
            assert cards.nth(2).locator("h3").inner_text() == SCRIPT_NAME
            assert page.locator("script").count() == 1 and not dialogs
            if os.environ.get("LABELER_SCREENSHOT"):
                _screenshot(page, Path(os.environ["LABELER_SCREENSHOT"]))

            page.fill("#producer", PRODUCER)
            page.click("#label-all")
            link = cards.nth(1).locator("a.download")
            sync_api.expect(link).to_be_visible(timeout=300_000)
            sync_api.expect(cards.nth(1).locator(".labelled .verdict")).to_have_text("passes")
            with page.expect_download() as event:
                link.click()
            download = tmp_path / "downloaded.png"
            event.value.save_as(download)
            assert event.value.suggested_filename == "banner.png"
            sync_api.expect(cards.nth(2).locator(".labelled .verdict")).to_be_visible(timeout=120_000)
            assert cards.nth(2).locator("a.download").count() == 0  # not an image: nothing to download
            assert not [e for e in errors if "Content Security Policy" in e]
            browser.close()
    finally:
        process.terminate()
        process.wait(30)
    label = exiftool_label(download)
    assert label is not None and label["ContentProducer"] == PRODUCER and label["Label"] == "1"
    assert verify_file(download).status == "compliant"
    assert unlabelled.read_bytes() == original  # the original is never changed


def _screenshot(page: object, target: Path) -> None:
    """The main view, reduced to 64 colours so the docs image stays small."""
    from PIL import Image

    raw = target.with_suffix(".raw.png")
    page.evaluate("document.fonts.ready.then(() => true)")  # type: ignore[attr-defined]
    page.screenshot(path=str(raw))  # type: ignore[attr-defined]
    with Image.open(raw) as image:
        image.convert("RGB").quantize(64).save(target, optimize=True)
    raw.unlink()
