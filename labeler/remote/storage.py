"""Inputs and outputs named by fsspec URLs (``s3://``, ``gs://``, ``az://``, ``file://``, ...).

- ``is_url`` / ``path_or_url``: a command-line argument with a ``scheme://`` is a URL, anything else
  a local path (so ``labeler label ./s3:/x`` still means a folder).
- ``open_location``: the URL's file system and path. Credentials and endpoints come the way the
  file system's library takes them (for S3 the ``AWS_*`` variables including ``AWS_ENDPOINT_URL``,
  ``~/.aws`` files, instance roles), plus ``--storage-option key=value`` (``parse_storage_options``).
- ``list_objects``: every object under a prefix, page by page: S3 is listed flat with
  ``list_objects_v2`` (1,000 keys a request, no directory cache), other stores folder by folder
  (``fs.walk``). Hidden names, labeler's own state and sidecars are left out as ``discover`` does.
- ``fetch`` / ``publish``: a task copies its object to a local scratch file, and publishes a finished
  local file by uploading it to a temporary key under ``OUT/.labeler-tmp/<run id>/``, checking the
  stored size, then moving it to the final key (S3 CopyObject, a rename on local disks): the final
  key only ever holds a complete, verified object. ``sweep`` removes a run's temporary prefix.

Storage failures that concern the whole run (no such bucket, endpoint unreachable, no
credentials, a protocol whose library is missing) raise ``StorageError``: the CLI exits 2.
"""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
import re
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import LabelerError

#: ``scheme://`` as fsspec understands it; one letter is a Windows drive (``C:\``), never a scheme.
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")
#: Where a run's temporary keys live, beside the outputs; hidden, so listings skip it.
TEMP_DIR = ".labeler-tmp"
#: The resume journal's segments, beside the outputs (``labeler.remote.journal``).
JOURNAL_DIR = ".labeler-journal"
#: Companions read and written with a file (``labeler.sidecar``, ``labeler.c2pa``).
COMPANION_SUFFIXES = (".aigc.json", ".c2pa")
#: The protocols' install hints: a URL whose library is absent is a usage error naming the package.
_PACKAGES = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs", "abfss": "adlfs"}


class StorageError(LabelerError):
    """The store cannot be used for this run at all (a usage error, not a per-file failure)."""


class ObjectUrl(str):
    """An object's URL where results and reports hold a path: ``str()`` and ``os.fspath()`` give
    the URL unchanged (``pathlib.Path`` would fold ``s3://`` into ``s3:/``)."""

    __slots__ = ()

    @property
    def name(self) -> str:
        return self.rsplit("/", 1)[-1]

    @property
    def suffix(self) -> str:
        return posixpath.splitext(self.name)[1]

    def is_file(self) -> bool:
        return False  # not a local file: reports that read the file itself (previews) skip it

    def __fspath__(self) -> str:
        return str.__str__(self)


def reported(url: ObjectUrl) -> Path:
    """``url`` where a result or verdict holds a ``Path``: reports only ``os.fspath()`` it, show
    ``str()`` and ``.name`` of it, which an ``ObjectUrl`` gives (a real ``Path`` would mangle it)."""
    return url  # type: ignore[return-value]


def is_url(value: object) -> bool:
    return isinstance(value, str) and _URL.match(value) is not None


def path_or_url(text: str) -> Path | str:
    """argparse type for PATH arguments: a URL stays a string, anything else is a ``Path``."""
    return text if is_url(text) else Path(text)


def parse_storage_options(pairs: list[str]) -> dict[str, Any]:
    """``key=value`` pairs as fsspec keyword arguments. A dotted key nests
    (``client_kwargs.region_name=eu-west-1``); a value that reads as JSON (``true``, ``5``,
    ``{"a": 1}``) is taken as such, else as a string."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise StorageError(f"--storage-option {pair!r} is not KEY=VALUE (e.g. endpoint_url=http://127.0.0.1:9000 or anon=true)")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        *parents, last = key.strip().split(".")
        here = options
        for part in parents:
            here = here.setdefault(part, {})
            if not isinstance(here, dict):
                raise StorageError(f"--storage-option {pair!r}: {part} is set both as a value and as a group")
        here[last] = value
    return options


@dataclass(frozen=True)
class Location:
    """A folder or object named by a URL (or ``file://`` for a local path): its file system and path."""

    fs: Any  # fsspec.AbstractFileSystem (fsspec ships no type information)
    root: str

    def url(self, path: str) -> ObjectUrl:
        return ObjectUrl(self.fs.unstrip_protocol(path))

    def child(self, relative: str) -> str:
        return posixpath.join(self.root.rstrip("/"), relative) if relative else self.root


def open_location(target: str | os.PathLike[str], options: Mapping[str, Any]) -> Location:
    """The file system and path of ``target``, a URL or a local path (taken as ``file://``)."""
    try:
        import fsspec
    except ImportError:
        raise StorageError("URLs need the dask extra: pip install 'gb45438-labeler[dask]'") from None
    text = os.fspath(target)
    url = text if is_url(text) else "file://" + os.path.abspath(text)
    protocol = url.split("://", 1)[0].lower()
    try:
        # Local folders: parents made on upload, as os.makedirs would; store options are for stores.
        fs, path = fsspec.core.url_to_fs(url, **(dict(options) if protocol != "file" else {"auto_mkdir": True}))
    except ImportError as exc:
        package = _PACKAGES.get(protocol, "the fsspec implementation for this protocol")
        raise StorageError(f"{protocol}:// URLs need {package}: pip install {package} ({exc})") from None
    except (ValueError, TypeError) as exc:
        raise StorageError(f"cannot open {text}: {exc} (check the URL and the --storage-option names)") from None
    return Location(fs, path.rstrip("/") or path)


def describe(exc: BaseException) -> str:
    """A store error in one line: botocore's and aiohttp's errors name the endpoint and the cause."""
    text = str(exc).strip() or type(exc).__name__
    if type(exc).__name__ in ("NoCredentialsError", "PartialCredentialsError"):
        return f"{text}: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or a profile), or --storage-option anon=true for a public bucket"
    return text


@dataclass(frozen=True)
class StoredObject:
    """One listed object: its path in the store, its key below the listed root, and what identifies
    this version of it for ``--resume`` (size and ETag or modification time)."""

    path: str
    relative: str
    size: int
    version: str


def _version(info: Mapping[str, Any]) -> str:
    for key in ("ETag", "etag", "md5Hash", "mtime", "LastModified", "last_modified", "created"):
        if info.get(key) is not None:
            return str(info[key])
    return ""


def _wanted(relative: str, include_hidden: bool) -> bool:
    parts = relative.split("/")
    if not include_hidden and any(part.startswith(".") for part in parts):
        return False
    return not parts[-1].startswith((TEMP_DIR, JOURNAL_DIR, ".labeler"))


def _s3_pages(fs: Any, root: str) -> Iterator[list[dict[str, Any]]]:
    """S3 listed flat, one page (up to 1,000 keys) at a time, nothing cached."""
    bucket, _, key = root.partition("/")
    request: dict[str, Any] = {"Bucket": bucket, "Prefix": key.rstrip("/") + "/" if key else ""}
    while True:
        page = fs.call_s3("list_objects_v2", **request)
        yield [
            {"name": f"{bucket}/{c['Key']}", "size": c["Size"], "ETag": c.get("ETag")}
            for c in page.get("Contents", [])
            if not c["Key"].endswith("/")
        ]
        if not page.get("IsTruncated"):
            return
        request["ContinuationToken"] = page["NextContinuationToken"]


def _walk_pages(fs: Any, root: str, include_hidden: bool) -> Iterator[list[dict[str, Any]]]:
    """Any other store, one folder at a time (sorted, like ``discover``)."""
    for _folder, dirs, files in fs.walk(root, detail=True, on_error="raise"):
        kept = sorted(((name, info) for name, info in dirs.items() if _wanted(name, include_hidden)), key=lambda pair: pair[0])
        dirs.clear()  # hidden folders (unless asked) and labeler's state are never entered; the rest in sorted order
        dirs.update(kept)
        yield [files[name] for name in sorted(files)]


def list_objects(location: Location, *, include_hidden: bool = False, exclude: Location | None = None) -> Iterator[StoredObject]:
    """Every object under ``location`` (or the object itself), page by page. ``exclude``: the
    output location, when it lies below the input, is not listed as input."""
    fs, root = location.fs, location.root
    try:
        if fs.isfile(root):
            info = fs.info(root)
            yield StoredObject(root, posixpath.basename(root), int(info.get("size") or 0), _version(info))
            return
        pages = _s3_pages(fs, root) if hasattr(fs, "call_s3") else _walk_pages(fs, root, include_hidden)
        skip = exclude.root.rstrip("/") + "/" if exclude is not None and exclude.fs.protocol == fs.protocol else None
        found = False
        for page in pages:
            for info in page:
                path = info["name"]
                relative = path[len(root.rstrip("/")) + 1 :]
                found = True
                if (skip and (path + "/").startswith(skip)) or not _wanted(relative, include_hidden):
                    continue
                yield StoredObject(path, relative, int(info.get("size") or 0), _version(info))
        if not found and not fs.exists(root):
            raise StorageError(f"no such object or prefix: {location.url(root)}")
    except StorageError:
        raise
    except Exception as exc:  # noqa: BLE001 - botocore, aiohttp, azure and google errors share no base class
        raise StorageError(f"cannot list {location.url(root)}: {describe(exc)}") from None


def check_writable(location: Location) -> None:
    """Fail the run before any file when the output store cannot be reached (bucket, endpoint,
    credentials): a probe object is written and removed under the run's temp prefix."""
    probe = posixpath.join(location.child(TEMP_DIR), f"probe-{secrets.token_hex(8)}")
    try:
        location.fs.pipe_file(probe, b"")
        location.fs.rm_file(probe)
    except Exception as exc:  # noqa: BLE001 - see list_objects
        raise StorageError(f"cannot write to {location.url(location.root)}: {describe(exc)}") from None


def companions(path: str, names: set[str]) -> tuple[str, ...]:
    """The companions of ``path`` (label sidecar, detached C2PA manifest) among listed ``names``."""
    return tuple(path + suffix for suffix in COMPANION_SUFFIXES if path + suffix in names)


def is_companion(path: str, names: set[str]) -> bool:
    """A sidecar is read with its file, never as a file of its own (``labeler.sidecar.is_sidecar``)."""
    return path.endswith(".aigc.json") or (path.endswith(".c2pa") and path[: -len(".c2pa")] in names)


def fetch(fs: Any, path: str, local: Path) -> None:
    fs.get_file(path, os.fspath(local))


def temp_key(out: Location, run: str, name: str) -> str:
    """A fresh temporary key for ``name`` in ``run``'s prefix (random: a task run twice never
    shares one); the extension is kept for stores that set the content type from it."""
    return posixpath.join(out.child(TEMP_DIR), run, f"{secrets.token_hex(8)}{posixpath.splitext(name)[1]}")


def _is_local(fs: Any) -> bool:
    protocols = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in protocols


def publish(out: Location, run: str, local: Path, final: str) -> None:
    """Upload ``local`` to a temporary key, check the stored size, then move it to ``final``.

    A task killed at any point leaves at most a temporary key (swept when the run ends); the final
    key changes only by one server-side copy (S3 CopyObject makes the object visible whole) or, on
    a disk, one rename."""
    fs = out.fs
    temp = temp_key(out, run, posixpath.basename(final))
    try:
        fs.put_file(os.fspath(local), temp)
        stored = fs.info(temp).get("size")
        if stored != local.stat().st_size:
            raise OSError(f"the store holds {stored} bytes of {local.stat().st_size} after the upload")
        if _is_local(fs):
            fs.mv(temp, final)
        else:
            fs.cp_file(temp, final)
    finally:
        with contextlib.suppress(Exception):  # gone already (renamed), or swept with the run
            fs.rm_file(temp)


def sweep(out: Location, run: str) -> None:
    """Remove ``run``'s temporary keys (a worker killed mid-upload leaves them)."""
    prefix = posixpath.join(out.child(TEMP_DIR), run)
    with contextlib.suppress(FileNotFoundError):
        if out.fs.exists(prefix):
            out.fs.rm(prefix, recursive=True)
