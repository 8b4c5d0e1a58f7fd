"""labeler serve, the JSON API and the security rules, through Starlette's test client and through
a real uvicorn server on a free port. Inputs are made by Pillow and exiftool (tests/serve_tools.py);
labelled downloads are read back with exiftool."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")
import httpx
from starlette.testclient import TestClient

from labeler.serve.app import create_app
from labeler.serve.options import ServeSettings, parse_size
from labeler.verify import verify_file

from .serve_tools import PRODUCER, exiftool_label, labelled_png, needs_exiftool, noticed_png, start

ROOT = Path(__file__).resolve().parent.parent
LOCAL = "http://127.0.0.1:8765"
SCRIPT_NAME = "<script>alert(1)</script>.png"


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("serve-images")
    return {"labelled": labelled_png(folder / "labelled.png"), "unlabelled": noticed_png(folder / "unlabelled.png", (200, 90, 40))}


def client(**settings: object) -> TestClient:
    return TestClient(create_app(ServeSettings(**settings)), base_url=LOCAL)  # type: ignore[arg-type]


def csrf_of(page: str) -> str:
    found = re.search(r'<meta name="csrf" content="([^"]+)">', page)
    assert found
    return found.group(1)


@pytest.mark.slow
@needs_exiftool
def test_verify_and_label_through_the_api(images: dict[str, Path], tmp_path: Path) -> None:
    originals = {k: p.read_bytes() for k, p in images.items()}
    with client(config_dir=tmp_path) as c:
        passing = c.post("/api/verify", files={"file": ("poster.png", originals["labelled"])})
        missing = c.post("/api/verify", files={"file": ("banner.png", originals["unlabelled"])})
        assert passing.status_code == missing.status_code == 200
        assert passing.json()["schema"] == "labeler.report/1"
        assert [f["status"] for f in passing.json()["files"]] == ["compliant"]
        assert [(f["path"], f["status"]) for f in missing.json()["files"]] == [("banner.png", "missing-implicit")]

        got = c.post("/api/label", files={"file": ("banner.png", originals["unlabelled"])}, data={"producer": PRODUCER})
        assert got.status_code == 200, got.text
        assert got.headers["x-labeler-status"] == "compliant"
        assert 'filename="banner.png"' in got.headers["content-disposition"]
        out = tmp_path / "banner.png"
        out.write_bytes(got.content)
        label = exiftool_label(out)  # an independent reader sees the label
        assert label is not None and label["ContentProducer"] == PRODUCER and label["Label"] == "1"
        assert verify_file(out).status == "compliant"

        archive = zipfile.ZipFile(io.BytesIO(c.get("/download.zip").content))
        assert archive.namelist() == ["labelled/banner.png"] and archive.read("labelled/banner.png") == got.content
        csv = c.get("/report.csv").text
        assert '"banner.png","' in csv and '"labelled/banner.png","' in csv and "labeler-serve-" not in csv
        assert "banner.png" in c.get("/report.html").text
        root = c.app.app.state.labeler.session.root  # type: ignore[attr-defined]
        assert not any((root / "uploads").iterdir())  # every upload deleted once done
    assert not root.exists()  # the session's files go with the server
    assert {k: p.read_bytes() for k, p in images.items()} == originals


def test_label_api_refuses_bad_settings_clearly(images: dict[str, Path]) -> None:
    with client() as c:
        got = c.post("/api/label", files={"file": ("a.png", images["unlabelled"].read_bytes())}, data={"producer": "", "role": "producer"})
        assert got.status_code == 400 and "ContentProducer" in got.json()["error"]
        assert c.post("/api/label", data={"producer": PRODUCER}).status_code == 400  # no file part


def test_formats() -> None:
    with client() as c:
        formats = c.get("/api/formats").json()["formats"]
    png = next(f for f in formats if f["adapter"] == "png")
    assert png["media"] == "image" and "png" in png["extensions"] and png["carrier"] == "xmp:TC260:AIGC"


def test_page_serves_its_cjk_font_itself() -> None:
    """Chinese verdicts and label values read on a machine without a CJK system font: the page's
    stylesheet falls back to the notice font, served by the app (the CSP allows fonts from it only)."""
    with client() as http:
        css = http.get("/static/app.css")
        font = http.get("/static/cjk.ttf")
    assert "url(/static/cjk.ttf)" in css.text
    assert font.status_code == 200 and font.headers["content-type"] == "font/ttf"
    assert font.content[:4] in (b"\x00\x01\x00\x00", b"true")  # a TrueType font, as browsers load it
    assert "font-src 'self'" in font.headers["content-security-policy"]


def test_token_required_off_loopback() -> None:
    settings = ServeSettings(host="0.0.0.0").secured()
    assert settings.token and f"?token={settings.token}" in settings.url()
    with TestClient(create_app(settings), base_url="http://192.0.2.7:8765", follow_redirects=False) as c:
        assert c.get("/api/formats").status_code == 401
        assert c.get("/").status_code == 401
        assert c.get("/api/formats", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/api/formats", headers={"Authorization": f"Bearer {settings.token}"}).status_code == 200
        opened = c.get(f"/?token={settings.token}")
        assert opened.status_code == 303 and opened.headers["location"] == "/"
        assert "HttpOnly" in opened.headers["set-cookie"] and "SameSite=Strict" in opened.headers["set-cookie"]
        assert c.get("/").status_code == 200  # the cookie from the printed URL
        # Signed in by cookie, a POST is a browser's: it needs the page's CSRF token.
        assert c.post("/api/verify", files={"file": ("a.png", b"x")}).status_code == 403
    assert ServeSettings(host="127.0.0.1").secured().token is None


def test_loopback_answers_only_to_local_host_names() -> None:
    with client() as c:
        assert c.get("/api/formats", headers={"Host": "attacker.example:8765"}).status_code == 421
        assert c.get("/api/formats", headers={"Host": "localhost:8765"}).status_code == 200


def test_oversize_upload_refused() -> None:
    with client(max_upload=4096) as c:
        big = c.post("/api/verify", files={"file": ("big.png", b"\0" * 10_000)})
        assert big.status_code == 413 and "--max-upload" in big.json()["error"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: cut off while streaming
            yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'
            for _ in range(10):
                yield b"\0" * 1000
            yield b"\r\n--b--\r\n"

        streamed = c.post("/api/verify", content=chunks(), headers={"content-type": "multipart/form-data; boundary=b"})
        assert streamed.status_code == 413
    assert parse_size("500MB") == 500 << 20 and parse_size("2G") == 2 << 30
    with pytest.raises(ValueError, match="not a size"):
        parse_size("lots")


@pytest.mark.slow
@needs_exiftool
def test_uploaded_names_are_never_paths(images: dict[str, Path], tmp_path: Path) -> None:
    os.chdir(tmp_path)
    data = images["unlabelled"].read_bytes()
    with client() as c:
        root = c.app.app.state.labeler.session.root  # type: ignore[attr-defined]
        for name in ("../../escape.png", "..\\..\\escape2.png", "/etc/passwd", "a/../../escape3.png"):
            got = c.post("/api/label", files={"file": (name, data)}, data={"producer": PRODUCER, "which": "implicit"})
            assert got.status_code == 200, got.text
            assert "/" not in got.headers["content-disposition"].split("filename=")[1].split(";")[0]
        names = [f.name for f in (root / "out").iterdir()]
        assert all(re.fullmatch(r"[0-9a-f]{32}(\.png)?", n) for n in names) and len(names) == 4
        assert sorted(zipfile.ZipFile(io.BytesIO(c.get("/download.zip").content)).namelist()) == [
            "labelled/a/escape3.png",
            "labelled/escape.png",
            "labelled/escape2.png",
            "labelled/etc/passwd",
        ]
    for leaked in (tmp_path.parent / "escape.png", tmp_path.parent.parent / "escape.png", tmp_path / "escape.png"):
        assert not leaked.exists()


def test_script_named_file_is_text(images: dict[str, Path]) -> None:
    with client() as c:
        token = csrf_of(c.get("/").text)
        assert c.post("/ui/verify", files={"file": (SCRIPT_NAME, b"not an image")}).status_code == 403  # no CSRF token
        card = c.post("/ui/verify", files={"file": (SCRIPT_NAME, b"not an image")}, headers={"X-CSRF-Token": token}).json()
        assert card["name"] == SCRIPT_NAME and card["passed"] is False  # the page shows it with textContent
        assert SCRIPT_NAME in card["lines"][0]["text"]  # messages name the upload, not the private copy
        report = c.get("/report.html")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;.png" in report.text and "<script>alert(1)" not in report.text
        assert "script-src 'sha256-" in report.headers["content-security-policy"]
        page = c.get("/")
        assert (
            "script-src 'self'" in page.headers["content-security-policy"]
            and "unsafe-inline" not in page.headers["content-security-policy"]
        )
        assert "<script>" not in page.text  # the one script is a file: no inline script at all
        settings = c.post("/settings", data={"csrf": token, "action": "apply", "producer": PRODUCER, "notice_text": SCRIPT_NAME})
        assert "<script>alert" not in settings.text


def test_settings_page_mirrors_and_saves_labeler_toml(tmp_path: Path) -> None:
    (tmp_path / "existing").mkdir()
    with client(config_dir=tmp_path) as c:
        token = csrf_of(c.get("/settings").text)
        assert c.post("/settings", data={"action": "save", "producer": PRODUCER}).status_code == 403
        saved = c.post(
            "/settings",
            data={
                "csrf": token,
                "action": "save",
                "producer": PRODUCER,
                "notice_text": "AI生成",
                "notice_position": "top-left",
                "which": "implicit",
            },
        )
        assert saved.status_code == 200 and "Saved" in saved.text
        assert c.get("/ui/settings").json()["settings"]["notice_position"] == "top-left"
        again = c.post("/settings", data={"csrf": token, "action": "save", "producer": "OTHER"})
        assert "Not saved" in again.text
        bad = c.post("/settings", data={"csrf": token, "action": "apply", "producer": "has space"})
        assert bad.status_code == 400 and "Not applied" in bad.text
    from labeler.config import load_config
    from labeler.serve.options import LabelSettings

    loaded = LabelSettings.from_config(load_config(tmp_path / "labeler.toml"))
    assert (loaded.producer, loaded.notice_text, loaded.notice_position, loaded.which) == (PRODUCER, "AI生成", "top-left", "implicit")
    # the CLI reads the same file
    shown = subprocess.run(
        [sys.executable, "-m", "labeler", "config", "--show", "--config", str(tmp_path / "labeler.toml")],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).stdout
    assert re.search(r"notice_position\s+= 'top-left'\s+# labeler.toml", shown) and re.search(r"no_explicit\s+= True", shown)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A real server with a token."""
    process, port = start(tmp_path, "--token", "s3cret")
    try:
        yield f"http://127.0.0.1:{port}", "s3cret"
    finally:
        process.terminate()
        process.wait(30)


@pytest.mark.slow
@needs_exiftool
def test_real_server(server: tuple[str, str], images: dict[str, Path]) -> None:
    url, token = server
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{url}/api/formats").status_code == 401
    got = httpx.post(f"{url}/api/verify", files={"file": ("x.png", images["labelled"].read_bytes())}, headers=auth, timeout=120)
    assert got.status_code == 200 and got.json()["files"][0]["status"] == "compliant"


@pytest.mark.slow
@needs_exiftool
def test_readme_curl_examples_run_as_written(tmp_path: Path) -> None:
    """The README's ``labeler serve`` API examples, against a real server (its port substituted)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A web page for people who do not use a terminal", 1)[1].split("\n## ", 1)[0]
    commands = [
        line
        for block in re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
        for line in block.splitlines()
        if line.startswith("curl ")
    ]
    assert len(commands) == 3
    noticed_png(tmp_path / "poster.png", (30, 140, 90))
    process, port = start(tmp_path)
    try:
        outputs = [
            subprocess.run(
                ["bash", "-c", c.replace(":8765/", f":{port}/")], cwd=tmp_path, capture_output=True, text=True, check=True, timeout=300
            ).stdout
            for c in commands
        ]
    finally:
        process.terminate()
        process.wait(30)
    import json

    assert json.loads(outputs[0])["files"][0]["status"] == "missing-implicit"
    label = exiftool_label(tmp_path / "labelled-poster.png")
    assert label is not None and label["ContentProducer"] == PRODUCER
    assert any(f["adapter"] == "png" for f in json.loads(outputs[2])["formats"])
