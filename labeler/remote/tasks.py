"""The per-object work of a batch on URLs: picklable callables that run in any worker process.

A task copies its object (and the object's companions) into a private local scratch folder,
runs the same ``label_file`` / ``verify_file`` as a local batch, and for ``label`` publishes the
verified output and its companions (companions first, as ``labelling`` does) through
``storage.publish``. Results name objects by URL (``ObjectUrl``), never by scratch path, so a
report from a Dask run reads like one from the local pool. The scratch folder holds one file at a
time: a worker's disk and memory are bounded by the largest file it handles, not by the batch.
A task run twice (a worker lost after publishing) publishes the same bytes again: idempotent.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from ..c2pa import SignalOptions
from ..labelling import LabelResult, label_file
from ..lifeline import parent_gone
from ..policy import Policy
from ..roles import LabelOptions
from ..status import PUBLISHED, Outcome, Status
from ..verify import Verdict, verify_file
from .storage import Location, describe, fetch, publish, reported

#: Results worth a journal line: the output is published and verified.


@dataclass(frozen=True)
class RemoteItem:
    """One input object: which input root it was listed under, its path in that store, its key
    below the root (the output mirrors it), its version (size and ETag or mtime, for ``--resume``)
    and its companions (``NAME.aigc.json``, ``NAME.c2pa``) to fetch with it."""

    root: int
    path: str
    relative: str
    version: str
    companions: tuple[str, ...] = ()


def _scratch() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="labeler-task-")


def _fetch_all(source: Location, item: RemoteItem, folder: Path) -> Path:
    """``item`` and its companions in ``folder`` under their own names (formats and sidecars are found by name)."""
    local = folder / os.path.basename(item.path)
    fetch(source.fs, item.path, local)
    for companion in item.companions:
        fetch(source.fs, companion, folder / os.path.basename(companion))
    return local


def _named(text: str | None, swaps: dict[str, str]) -> str | None:
    """``text`` with scratch paths replaced by the URLs they stand for."""
    if text is None:
        return None
    for local, url in swaps.items():
        text = text.replace(local, url)
    return text


class LabelTask:
    """Label one object into ``out``: fetch, ``label_file`` in scratch, publish only a verified output."""

    def __init__(self, roots: tuple[Location, ...], out: Location, options: LabelOptions, run: str) -> None:
        self.roots, self.out, self.options, self.run = roots, out, options, run

    def target(self, item: RemoteItem) -> str:
        return self.out.child(item.relative)

    def failed(self, item: RemoteItem, reason: str) -> LabelResult:
        return LabelResult(
            reported(self.roots[item.root].url(item.path)), reported(self.out.url(self.target(item))), Outcome.FAILED, error=reason
        )

    def __call__(self, item: RemoteItem) -> LabelResult:
        source, target = reported(self.roots[item.root].url(item.path)), reported(self.out.url(self.target(item)))
        with _scratch() as scratch:
            inputs, outputs = Path(scratch, "in"), Path(scratch, "out")
            inputs.mkdir()
            outputs.mkdir()
            try:
                local = _fetch_all(self.roots[item.root], item, inputs)
            except Exception as exc:  # noqa: BLE001 - any store error is this file's failure
                return self.failed(item, f"cannot read the object: {describe(exc)}")
            result = label_file(local, outputs / local.name, self.options)
            swaps = {os.fspath(local): os.fspath(source), os.fspath(outputs / local.name): os.fspath(target), scratch: "(scratch)"}
            result = replace(
                result,
                source=source,
                output=target,
                error=_named(result.error, swaps),
                verdict=replace(result.verdict, path=target, error=_named(result.verdict.error, swaps)) if result.verdict else None,
            )
            if result.status not in PUBLISHED:
                return result
            try:
                self._publish(outputs, local.name, self.target(item))
            except Exception as exc:  # noqa: BLE001 - see above
                return replace(
                    result,
                    status=Outcome.FAILED,
                    error=f"the output verified but could not be published: {describe(exc)}; nothing is at {os.fspath(target)}",
                )
            return result

    def _publish(self, outputs: Path, name: str, final: str) -> None:
        if parent_gone():
            raise OSError("the batch's main process is gone; nothing was published (run the batch again with --resume)")
        for companion in sorted(p for p in outputs.iterdir() if p.name != name):  # before the file: no output lacks its label
            publish(self.out, self.run, companion, final + companion.name[len(name) :])
        publish(self.out, self.run, outputs / name, final)


class VerifyTask:
    """Verify one object: fetch it with its companions, ``verify_file``, report it by URL."""

    def __init__(self, roots: tuple[Location, ...], policy: Policy, signals: SignalOptions | None) -> None:
        self.roots, self.policy, self.signals = roots, policy, signals

    def failed(self, item: RemoteItem, reason: str) -> Verdict:
        url = self.roots[item.root].url(item.path)
        return Verdict(reported(url), Status.ERROR, error=f"{url.name}: {reason}")

    def __call__(self, item: RemoteItem) -> Verdict:
        url = self.roots[item.root].url(item.path)
        with _scratch() as scratch:
            try:
                local = _fetch_all(self.roots[item.root], item, Path(scratch))
            except Exception as exc:  # noqa: BLE001 - any store error is this file's failure
                return self.failed(item, f"cannot read the object: {describe(exc)}")
            verdict = verify_file(local, self.policy, signals=self.signals)
            return replace(verdict, path=reported(url), error=_named(verdict.error, {os.fspath(local): url, scratch: "(scratch)"}))
