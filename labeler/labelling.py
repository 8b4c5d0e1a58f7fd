"""label_file: one file through explicit notice -> implicit label -> C2PA -> verify -> rename.

Every stage writes to a temp file beside the target, and the finished temp file is verified by
the same ``verify_file`` users run; the target appears (by an atomic rename) only if it verifies.
The source is never written unless ``in_place`` names it as target.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import clone
from .adapters.base import Adapter
from .atomic import Staged, atomic_output, publish, scratch_file, sync_file
from .c2pa import SignalOptions, read_signals, sidecar_manifest_path
from .c2pa.pipeline import SignPlan, plan_signing, sign_output, stale_manifest_note
from .detect import ocr
from .errors import InputError, LabelerError, OutputError, UnsupportedError
from .label import Label
from .model import Action, Presence, Step, WriteOptions
from .output_paths import check_names
from .registry import read_head, sniff, unsniffable_reason
from .roles import LabelOptions, build_label, replacements
from .sidecar import read_sidecar, sidecar_bytes, sidecar_path
from .source import Source
from .status import Outcome, Status
from .verify import Verdict, judge_implicit, verify_file
from .watermark.settings import WatermarkSettings
from .watermark.stage import MarkPlan, plan_watermark, read_back_error
from .watermark.stage import embed as embed_watermark
from .xmp import DST_BASE, source_type_uri

#: IPTC DigitalSourceType written next to the TC260 label, per Label value.
SOURCE_TYPE_FOR_LABEL = {
    "1": DST_BASE + "trainedAlgorithmicMedia",
    "2": DST_BASE + "compositeWithTrainedAlgorithmicMedia",
    "3": DST_BASE + "compositeWithTrainedAlgorithmicMedia",
}
#: What a verified output must show, per requested labels (explicit, implicit) -> passing statuses.
_EXPECTED: dict[tuple[bool, bool], frozenset[Status]] = {
    (True, True): frozenset({Status.COMPLIANT}),
    (False, True): frozenset({Status.COMPLIANT, Status.MISSING_EXPLICIT, Status.UNVERIFIED}),
    (True, False): frozenset({Status.COMPLIANT, Status.MISSING_IMPLICIT}),
}


@dataclass(frozen=True)
class LabelResult:
    source: Path
    output: Path | None
    status: Outcome
    actions: tuple[Action, ...] = ()
    label: Label | None = None
    verdict: Verdict | None = None
    error: str | None = None
    #: How the output's bytes were laid down (``labeler.clone``: cloned from the source or copied).
    write: dict[str, Any] | None = None
    #: Renames left to the batch's group commit (``labeler.commit``); empty once published.
    staged: tuple[Staged, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status is not Outcome.FAILED

    def to_dict(self) -> dict[str, Any]:
        document = {
            "source": os.fspath(self.source),
            "output": os.fspath(self.output) if self.output else None,
            "status": self.status,
            "actions": list(self.actions),
            "label": self.label.as_dict() if self.label else None,
            "verify": self.verdict.to_dict() if self.verdict else None,
            "error": self.error,
        }
        if self.write is not None:
            document["write"] = dict(self.write)
        return document


@dataclass
class _Plan:
    adapter: Adapter
    label: Label | None
    add_notice: bool
    actions: list[Action] = field(default_factory=list)
    sign: SignPlan | None = None  # the C2PA step, when --c2pa-cert/--c2pa-key were given
    mark: MarkPlan | None = None  # the watermark step, when --watermark was given


def _plan(src: Source, options: LabelOptions) -> _Plan:
    sniffed = sniff(src)
    if sniffed is None:
        raise UnsupportedError(unsniffable_reason(src.name, read_head(src)))
    adapter = sniffed.adapter
    plan = _Plan(adapter, None, False)
    if options.implicit:
        found = adapter.read_labels(src) + (read_sidecar(src) if adapter.carrier is None else [])
        existing = judge_implicit(found)
        # Measures Art. 6: a propagator's unlabelled input whose C2PA/IPTC metadata declares AI is "suspected".
        declared = read_signals(src, None).ai_declared_by if options.role == "propagator" and existing.label is None else None
        template = options.produce_id if options.role == "producer" else options.propagate_id
        # the content hash only when the ID template asks for it (a 1 GB video hashes for seconds)
        digest = src.sha256() if template is None or "{sha256" in template else ""
        label = build_label(existing.label, options, sha256=digest, source=src, traced=declared is not None)
        plan.label = label
        plan.actions.extend(replacements(found, label, options))  # refuses unless --force-producer
        if declared and options.label is None:
            plan.actions.append(
                Action(
                    Step.CLASSIFY,
                    f"no TC260 label, but the {declared} metadata declares AI-generated content: Label 3 (suspected; --label overrides)",
                )
            )
        carrier = adapter.carrier or f"sidecar {sidecar_path(src).name}"
        if existing.label == label and len(found) == 1:
            plan.actions.append(Action(Step.KEEP_IMPLICIT, f"implicit label already up to date ({carrier})"))
        else:
            plan.actions.append(Action(Step.WRITE_IMPLICIT, f"write implicit label to {carrier}: {label.to_json()}"))
    if options.explicit:
        with contextlib.nullcontext() if options.ocr_check else ocr.suppressed():
            evidence = adapter.detect_explicit(src)
        if evidence.state is Presence.PRESENT and not any(p.is_error for p in evidence.problems):
            plan.actions.append(Action(Step.KEEP_NOTICE, f"explicit notice already present ({evidence.summary})"))
        else:
            plan.add_notice = True
            method = adapter.notice_method(src)
            plan.actions.append(
                Action(
                    Step.ADD_NOTICE,
                    f"add explicit notice {options.notice_for(adapter.media).text_for(adapter.media)!r}"
                    + (f" ({method})" if method else ""),
                )
            )
    if options.watermark is not None and plan.label is not None:
        plan.mark, action = plan_watermark(src, adapter.media, plan.label, options.watermark)
        plan.actions.append(action)
    content_changes = plan.add_notice or any(a.writes for a in plan.actions)
    if options.c2pa is not None:
        plan.sign = plan_signing(src, options.c2pa, plan.label, content_changes=content_changes)
        plan.actions.append(plan.sign.action)
    elif content_changes and (note := stale_manifest_note(src)):
        plan.actions.append(note)
    return plan


class _Rejected(Exception):
    """The staged output did not verify; nothing was made visible."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.status)
        self.verdict = verdict


def _stage_companion(temp: Path, target: Path, data: bytes) -> tuple[Path, Path]:
    """Write a file that travels with the output (label sidecar, detached manifest) beside the temp."""
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        sync_file(handle.fileno())
    return temp, target


def _write(
    src: Source, dst: Path, plan: _Plan, options: LabelOptions, check: Callable[[Path], Verdict]
) -> tuple[Verdict, clone.Layout | None]:
    """Write every stage into temp files beside ``dst``, verify the result, and only then make it
    visible: companions first, the file itself last. A rejected result leaves nothing behind."""
    adapter = plan.adapter
    label = plan.label
    source_type = source_type_uri(options.source_type) if options.source_type else SOURCE_TYPE_FOR_LABEL[label.label if label else "1"]
    write_options = WriteOptions(source_type=source_type)
    companions: list[tuple[Path, Path]] = []
    sign = plan.sign if plan.sign is not None and plan.sign.mode is not None else None
    c2pa = options.c2pa if sign is not None else None
    check_names(
        dst,
        *([sidecar_path(dst)] if label is not None and adapter.carrier is None else []),
        *([sidecar_manifest_path(dst)] if c2pa is not None and sign is not None and sign.mode == "sidecar" else []),
    )
    published = False
    layout = None
    try:
        with atomic_output(dst, like=src) as final:
            stage = src
            # scratch files only for the stages that run (implicit-only labelling makes none)
            with (
                scratch_file(dst, dst.suffix) if plan.add_notice else contextlib.nullcontext(dst) as noticed,
                scratch_file(dst, dst.suffix) if plan.mark is not None else contextlib.nullcontext(dst) as marked,
                scratch_file(dst, dst.suffix) if c2pa is not None else contextlib.nullcontext(dst) as unsigned,
            ):
                out = (
                    unsigned if c2pa is not None and sign is not None and sign.mode == "embed" else final
                )  # the signature is the last write
                if plan.add_notice:
                    adapter.write_explicit(stage, noticed, options.notice_for(adapter.media), write_options)
                    stage = Source(noticed)  # write_implicit and its checks read the notice stage once
                if plan.mark is not None:  # after the notice (it is watermarked too), before the metadata
                    embed_watermark(plan.mark, stage, marked)
                    stage = Source(marked)
                if label is not None and adapter.carrier is not None:
                    adapter.write_implicit(stage, out, label, write_options)
                    layout = clone.taken(out) if out == final else None  # how its bytes were laid down
                else:
                    shutil.copyfile(stage, out)
                if label is not None and adapter.carrier is None:
                    companions.append(_stage_companion(sidecar_path(final), sidecar_path(dst), sidecar_bytes(label)))
                if c2pa is not None and sign is not None:
                    manifest = sign_output(sign, unsigned, final, label, source_type, c2pa, dst.name)
                    if manifest is not None:
                        companions.append(_stage_companion(sidecar_manifest_path(final), sidecar_manifest_path(dst), manifest))
            verdict = check(final)
            if verdict.status not in _EXPECTED[(options.explicit, options.implicit)]:
                raise _Rejected(verdict)
            if plan.mark is not None and (why := read_back_error(plan.mark, verdict.signals.watermark if verdict.signals else None)):
                raise OutputError(why, src)
            for temp, target in companions:  # before the file, so no visible output lacks its label
                publish(temp, target)
        published = True
    finally:
        for temp, _ in companions if not published else ():
            temp.unlink(missing_ok=True)
    return replace(verdict, path=dst), layout


def label_file(src: str | os.PathLike[str], dst: str | os.PathLike[str] | None, options: LabelOptions) -> LabelResult:
    """Label ``src`` into ``dst`` (``None`` with ``options.in_place``). Never raises for bad input."""
    src = Path(src)
    target = src if dst is None else Path(dst)
    try:
        options = options.validated()
        if not src.is_file():
            raise InputError("does not exist or is not a regular file", src)
        if dst is None and not options.in_place:
            raise OutputError("no output given: pass --out DIR, or --in-place to overwrite the input", src)
        check_names(target)  # a path the file system refuses cannot even be looked at
        if not options.in_place and target.exists() and os.path.samefile(src, target):
            raise OutputError("the output would overwrite the input; pass --in-place if that is what you want", src)
        source = Source(src)  # read and parsed once: plan, write and (unchanged) verify share it
        plan = _plan(source, options)
        if options.dry_run:
            return LabelResult(src, target, Outcome.DRY_RUN, tuple(plan.actions), plan.label)
        changed = plan.add_notice or any(a.writes for a in plan.actions)
        signals = SignalOptions(
            require_c2pa=plan.sign is not None and plan.sign.expected,
            # the output's watermark is read back only when one was asked for
            watermark=WatermarkSettings(options.watermark.key, check=True) if options.watermark else WatermarkSettings(check=False),
        )

        def check(path: Path) -> Verdict:
            # implicit-only labelling does not pay for an explicit (OCR) check it did not ask for
            return verify_file(path, signals=signals, check_explicit=options.explicit)

        layout = None
        if changed or target != src:
            verdict, layout = _write(source, target, plan, options, check)
        else:
            verdict = check(source)  # the output is the unchanged input: verified from what was read
            if verdict.status not in _EXPECTED[(options.explicit, options.implicit)]:
                raise _Rejected(verdict)
        write = layout.as_dict() if layout is not None else None
        return LabelResult(
            src, target, Outcome.LABELLED if changed else Outcome.UNCHANGED, tuple(plan.actions), plan.label, verdict, write=write
        )
    except _Rejected as rejected:
        verdict = rejected.verdict
        reasons = "; ".join(str(p) for p in verdict.problems() if p.is_error) or verdict.error or verdict.status
        return LabelResult(
            src,
            target,
            Outcome.FAILED,
            tuple(plan.actions),
            plan.label,
            replace(verdict, path=target),
            f"{src.name}: the output does not verify ({verdict.status}: {reasons}); nothing was written: fix what "
            "the findings name in the source, or leave that part out (--no-explicit / --no-implicit)",
        )
    except LabelerError as exc:
        return LabelResult(src, target, Outcome.FAILED, error=exc.for_file(src))
    except PermissionError as exc:
        return LabelResult(src, target, Outcome.FAILED, error=f"permission denied: {exc.filename or src}")
    except OSError as exc:
        return LabelResult(src, target, Outcome.FAILED, error=f"{exc.strerror or exc} ({exc.filename or src})")
    except MemoryError:
        return LabelResult(
            src, target, Outcome.FAILED, error="ran out of memory (raise --max-memory, or check whether the file is a decompression bomb)"
        )
    except Exception as exc:  # noqa: BLE001 - one bad file must never stop a batch
        return LabelResult(src, target, Outcome.FAILED, error=f"internal error: {type(exc).__name__}: {exc} (please report this)")
