"""The routes of ``labeler serve``: the page, its settings, the JSON API and the downloads.

Every file is verified or labelled by ``labeler.serve.work`` in a worker of ``labeler.pool`` (the
same ``verify_file``/``label_file`` as the CLI, under per-request time and memory limits); the
reports are the CLI's renderers (``labeler.report/1``, HTML, CSV) over this session's files.
"""

from __future__ import annotations

import contextlib
import secrets
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ..errors import LabelerError
from ..formattables import rows
from ..pool import Limits
from ..render.fonts import font_bytes
from ..report import RunInfo
from ..report import render as render_report
from ..report.html import CSP as REPORT_CSP
from ..report.json import document
from . import pages
from .options import LabelSettings, ServeSettings, save_toml
from .security import Guard, UploadTooLarge, same, too_large_message
from .session import Entry, Session, shown_name
from .work import Checked, LabelJob, label_limited, verify_limited

STATIC = Path(__file__).with_name("static")
#: The only files served from ``static/`` and their types (a request names a key, never a path).
ASSETS = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"}
CJK_FONT = "cjk.ttf"
MAX_FIELDS = 50


class State:
    """One server's session, settings and limits."""

    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self.session = Session()
        self.label_settings = LabelSettings.from_config(settings.config)
        self.csrf = secrets.token_urlsafe(24)
        self.limiter = anyio.CapacityLimiter(max(1, settings.jobs))

    def limits(self, seconds: float | None) -> Limits:
        return Limits(seconds=seconds, memory_bytes=self.settings.memory_bytes)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _upload(request: Request, state: State) -> tuple[str, Path, dict[str, str]] | JSONResponse:
    """The multipart ``file`` copied to a private temp file, its shown name and the text fields."""
    async with request.form(max_files=1, max_fields=MAX_FIELDS) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            return _error(400, "send the file as multipart/form-data field 'file' (curl -F file=@NAME)")
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        name = shown_name(upload.filename or "upload")
        path = await anyio.to_thread.run_sync(state.session.new_upload, name, upload.file)
    return name, path, fields


async def _verify(request: Request) -> tuple[str, Checked] | JSONResponse:
    state: State = request.app.state.labeler
    got = await _upload(request, state)
    if isinstance(got, JSONResponse):
        return got
    name, path, _ = got
    try:
        checked = await anyio.to_thread.run_sync(verify_limited, path, state.limits(state.settings.verify_seconds), limiter=state.limiter)
    finally:
        path.unlink(missing_ok=True)  # the upload is done with
    return name, _renamed(checked, path, name)


async def _label(request: Request) -> tuple[str, Checked, Path | None] | JSONResponse:
    state: State = request.app.state.labeler
    got = await _upload(request, state)
    if isinstance(got, JSONResponse):
        return got
    name, path, fields = got
    try:
        settings = LabelSettings.from_form({**state.label_settings.as_dict(), **fields})
        try:
            options = settings.options()
        except LabelerError as exc:
            return _error(400, str(exc))
        job = LabelJob(path, state.session.output_path(name), options)
        checked = await anyio.to_thread.run_sync(label_limited, job, state.limits(state.settings.label_seconds), limiter=state.limiter)
    finally:
        path.unlink(missing_ok=True)
    checked = _renamed(_renamed(checked, path, name), job.target, name)
    output = job.target if checked.result is not None and checked.result.ok and job.target.is_file() else None
    if output is None:
        job.target.unlink(missing_ok=True)
    return name, checked, output


def _renamed(checked: Checked, temp: Path, name: str) -> Checked:
    """Messages name the private copy (a random name): show the uploaded name instead."""

    def fix(text: str) -> str:
        return text.replace(temp.name, name)

    verdict = replace(checked.verdict, error=fix(checked.verdict.error)) if checked.verdict.error else checked.verdict
    card = {**checked.card, "lines": [{**line, "text": fix(line["text"])} for line in checked.card["lines"]]}
    result = checked.result
    if result is not None and result.error:
        result = replace(result, error=fix(result.error))
    return Checked(verdict, card, result)


def _document(state: State, entries: list[Entry]) -> dict[str, Any]:
    """``labeler.report/1`` of these entries, each path the uploaded name as shown."""
    found = document([e.verdict for e in entries], RunInfo(root=state.session.names))
    for file, entry in zip(found["files"], entries, strict=True):
        file["path"] = entry.name
        file.pop("path_bytes", None)
    return found


async def api_verify(request: Request) -> Response:
    got = await _verify(request)
    if isinstance(got, JSONResponse):
        return got
    state: State = request.app.state.labeler
    name, checked = got
    return JSONResponse(_document(state, [state.session.add(name, checked.verdict)]))


async def api_label(request: Request) -> Response:
    state: State = request.app.state.labeler
    got = await _label(request)
    if isinstance(got, JSONResponse):
        return got
    name, checked, output = got
    entry = state.session.add(f"labelled/{name}", checked.verdict, output)
    if output is None:
        reason = checked.result.error if checked.result else checked.verdict.error
        return JSONResponse({"error": reason or "labelling failed", "report": _document(state, [entry])}, status_code=422)
    return FileResponse(
        output,
        headers={"content-disposition": _attachment(name), "x-labeler-status": str(checked.verdict.status), "x-labeler-id": entry.id},
        media_type="application/octet-stream",
    )


async def api_formats(request: Request) -> Response:
    formats = [
        {
            "format": fmt.label,
            "media": adapter.media,
            "extensions": list(fmt.extensions),
            "adapter": adapter.name,
            "carrier": adapter.carrier,
            "extra": fmt.extra,
        }
        for adapter, fmt in rows()
    ]
    return JSONResponse({"formats": formats})


async def ui_verify(request: Request) -> Response:
    got = await _verify(request)
    if isinstance(got, JSONResponse):
        return got
    name, checked = got
    entry = request.app.state.labeler.session.add(name, checked.verdict)
    return JSONResponse({**checked.card, "name": entry.name, "id": entry.id})


async def ui_label(request: Request) -> Response:
    got = await _label(request)
    if isinstance(got, JSONResponse):
        return got
    name, checked, output = got
    entry = request.app.state.labeler.session.add(f"labelled/{name}", checked.verdict, output)
    error = None if output else (checked.result.error if checked.result else checked.verdict.error) or "labelling failed"
    return JSONResponse(
        {**checked.card, "name": entry.name, "id": entry.id, "download": f"/download/{entry.id}" if output else None, "error": error}
    )


def _attachment(name: str) -> str:
    """A Content-Disposition naming the file by its last part: ASCII fallback plus RFC 5987 UTF-8."""
    base = PurePosixPath(shown_name(name)).name
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in base)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(base, safe='')}"


async def download(request: Request) -> Response:
    state: State = request.app.state.labeler
    entry = state.session.find(request.path_params["id"])
    if entry is None or entry.output is None or not entry.output.is_file():
        return _error(404, "no such labelled file in this session")
    return FileResponse(entry.output, headers={"content-disposition": _attachment(entry.name)}, media_type="application/octet-stream")


async def download_zip(request: Request) -> Response:
    state: State = request.app.state.labeler
    with tempfile.NamedTemporaryFile(dir=state.session.root, suffix=".zip", delete=False) as handle:
        await anyio.to_thread.run_sync(state.session.zip_to, handle)
    return FileResponse(
        handle.name,
        headers={"content-disposition": 'attachment; filename="labelled.zip"'},
        media_type="application/zip",
        background=BackgroundTask(Path(handle.name).unlink, missing_ok=True),
    )  # deleted once sent


async def report(request: Request) -> Response:
    state: State = request.app.state.labeler
    fmt = request.path_params["fmt"]
    if fmt not in ("html", "csv"):
        return _error(404, "the session report is /report.html or /report.csv")
    text = render_report(fmt, state.session.verdicts(), RunInfo(root=state.session.names))
    if fmt == "csv":
        text = text.replace(f'"{state.session.names}/', '"')  # the CSV names files by full path: show the uploaded name
        return Response(
            text, media_type="text/csv; charset=utf-8", headers={"content-disposition": 'attachment; filename="labeler-report.csv"'}
        )
    response = HTMLResponse(text)
    response.headers["content-security-policy"] = REPORT_CSP  # the report's own (its filter script's hash)
    return response


async def index(request: Request) -> Response:
    return HTMLResponse(pages.index(request.app.state.labeler.csrf))


async def settings_json(request: Request) -> Response:
    state: State = request.app.state.labeler
    return JSONResponse({"settings": state.label_settings.as_dict(), "positions": pages.POSITIONS})


async def settings_page(request: Request) -> Response:
    state: State = request.app.state.labeler
    message = ""
    if request.method == "POST":
        async with request.form(max_files=0, max_fields=MAX_FIELDS) as form:
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
        if not same(fields.get("csrf"), state.csrf):
            return _error(403, "missing or wrong CSRF token: reload the settings page and try again")
        chosen = LabelSettings.from_form(fields)
        try:
            chosen.options()
        except LabelerError as exc:
            return HTMLResponse(pages.settings(state.csrf, chosen, state.settings.config_dir, f"Not applied: {exc}"), status_code=400)
        state.label_settings = chosen
        message = "Applied to this session."
        if fields.get("action") == "save":
            try:
                message += f" Saved {save_toml(chosen, state.settings.config_dir)}."
            except FileExistsError:
                message += " Not saved: a labeler.toml already exists there and may hold settings this page does not show; copy the text below into it."
            except OSError as exc:
                message += f" Not saved: {exc.strerror}."
    return HTMLResponse(pages.settings(state.csrf, state.label_settings, state.settings.config_dir, message))


async def static(request: Request) -> Response:
    name = request.path_params["name"]
    if name == CJK_FONT:  # the notice font: Chinese reads on machines without a CJK system font, offline
        return Response(font_bytes(), media_type="font/ttf", headers={"cache-control": "max-age=86400"})
    if name not in ASSETS:
        return _error(404, "not found")
    return FileResponse(STATIC / name, media_type=ASSETS[name])


def create_app(settings: ServeSettings | None = None) -> Guard:
    """The ASGI app: the routes behind the ``Guard`` middleware (host, token, CSRF, size, CSP)."""
    settings = (settings or ServeSettings()).secured()
    state = State(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            state.session.close()  # every upload and labelled file goes with the server

    routes: list[tuple[str, Callable[[Request], Any], list[str]]] = [
        ("/", index, ["GET"]),
        ("/settings", settings_page, ["GET", "POST"]),
        ("/static/{name}", static, ["GET"]),
        ("/api/verify", api_verify, ["POST"]),
        ("/api/label", api_label, ["POST"]),
        ("/api/formats", api_formats, ["GET"]),
        ("/ui/verify", ui_verify, ["POST"]),
        ("/ui/label", ui_label, ["POST"]),
        ("/ui/settings", settings_json, ["GET"]),
        ("/download/{id}", download, ["GET"]),
        ("/download.zip", download_zip, ["GET"]),
        ("/report.{fmt:str}", report, ["GET"]),
    ]

    async def too_large(request: Request, exc: Exception) -> Response:
        return _error(413, too_large_message(settings.max_upload))

    app = Starlette(
        routes=[Route(p, f, methods=m) for p, f, m in routes], lifespan=lifespan, exception_handlers={UploadTooLarge: too_large}
    )
    app.state.labeler = state
    return Guard(app, host=settings.host, token=settings.token, csrf=state.csrf, max_upload=settings.max_upload)
