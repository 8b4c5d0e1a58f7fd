"""The commands: run, render, exit code. No rules live here.

Exit codes: see ``labeler.cli``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from .._version import __version__
from ..api import LABEL_TIMEOUT, VERIFY_TIMEOUT
from ..batch import Skipped, default_jobs
from ..config import Config, load_config
from ..label import parse_provider_code
from ..labelling import LabelResult
from ..names import display, json_safe, with_exact_bytes
from ..notice import Notice
from ..pool import Limits, default_memory_limit
from ..progress import Progress
from ..remote.cli import label_batch, verify_batch
from ..remote.storage import is_url
from ..report import RunInfo, repository_root, write_reports
from ..report import render as render_report
from ..report.evidence import write_evidence
from ..roles import LabelOptions
from ..serve import command as serve_command
from ..status import REPORTED_ONLY, UNCHECKABLE
from ..survive import command as survive_command
from ..verify import Verdict, gate_failures, summary_counts, verify_file
from .c2pa import sign_settings, signal_lines, signal_options
from .config import ignore_rules, media_notice_options
from .config import show as show_config
from .gate import policy_from_args
from .parser import build_parser
from .watermark import label_settings, verify_settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _options(args: argparse.Namespace) -> LabelOptions:
    notice = Notice(text=args.notice_text, position=args.notice_position, duration=args.notice_duration, persist=bool(args.persist))
    return LabelOptions(
        role=args.role,
        label=args.label,
        producer=args.producer,
        produce_id=args.produce_id,
        reserved_code1=args.reserved_code1,
        propagator=args.propagator,
        propagate_id=args.propagate_id,
        reserved_code2=args.reserved_code2,
        notice=notice,
        explicit=not args.no_explicit,
        implicit=not args.no_implicit,
        ocr_check=not args.no_ocr_check,
        source_type=args.source_type,
        dry_run=args.dry_run,
        in_place=args.in_place,
        force_producer=args.force_producer,
        media_notices=media_notice_options(args, notice),
        c2pa=sign_settings(args),
        watermark=label_settings(args),
    ).validated()


def _limits(args: argparse.Namespace, jobs: int, default_seconds: float) -> Limits:
    memory = default_memory_limit(jobs) if args.max_memory is None else args.max_memory or None
    seconds = default_seconds if args.timeout is None else args.timeout or None
    return Limits(seconds=seconds, memory_bytes=memory)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")


def _check_paths(paths: Sequence[Path]) -> None:
    missing = [str(p) for p in paths if not is_url(p) and not p.exists() and not p.is_symlink()]
    if missing:
        raise _Usage(f"no such file or folder: {', '.join(missing)}")


class _Usage(Exception):
    pass


def cmd_label(args: argparse.Namespace) -> int:
    options = _options(args)
    _check_paths(args.paths)
    jobs = args.jobs or default_jobs()
    progress: list[Progress] = []
    try:
        batch = label_batch(
            args,
            jobs,
            options=options,
            include_hidden=args.include_hidden,
            resume=args.resume,
            ignore=ignore_rules(args),
            limits=_limits(args, jobs, LABEL_TIMEOUT),
            on_plan=lambda n: progress.append(Progress(n, "labelling", enabled=not (args.no_progress or args.quiet))),
            on_result=lambda r: progress[0].advance(f"{r.status}: {r.source}"),
        )
    finally:
        if progress:
            progress[0].close()
    results, skipped = batch.results, batch.skipped + [Skipped(p, "finished by an earlier run (--resume)") for p in batch.resumed]
    if args.format == "json":
        document = {
            "schema": "labeler.label-report/1",
            "tool": {"name": "labeler", "version": __version__},
            "files": [with_exact_bytes(r.to_dict(), "source", "output") for r in results],
            "skipped": [with_exact_bytes({"path": str(s.path), "reason": s.reason}, "path") for s in skipped],
            "summary": _counts([r.status for r in results]),
        }
        _emit(json.dumps(json_safe(document), ensure_ascii=False, indent=2) + "\n", args.output)
    else:
        _emit(_label_table(results, skipped, verbosity=_verbosity(args)), args.output)
    return EXIT_OK if all(r.ok for r in results) else EXIT_FAILED


def _verbosity(args: argparse.Namespace) -> int:
    """-1 quiet, 0 default, 1 verbose."""
    return -1 if getattr(args, "quiet", False) else 1 if getattr(args, "verbose", False) else 0


def _counts(statuses: list[str]) -> dict[str, int]:
    counts = {"total": len(statuses)}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return counts


def _label_table(results: list[LabelResult], skipped: list[Any], verbosity: int = 0) -> str:
    """One line per file; a failed file adds its reason. ``verbosity`` 1 adds every action (the
    label written), -1 keeps only failed files and the summary."""
    lines = []
    for r in results:
        if verbosity < 0 and r.ok:
            continue
        detail = r.error or ("; ".join(r.actions) if verbosity > 0 else "")
        lines.append(f"{r.status:<10} {r.source}" + (f" -> {r.output}" if r.output and r.output != r.source else ""))
        if detail:
            lines.append(f"{'':<10}   {detail}")
    for s in skipped if verbosity >= 0 else ():
        lines.append(f"{'skipped':<10} {s.path} ({s.reason})")
    counts = _counts([r.status for r in results])
    lines.append("")
    lines.append(f"{counts.pop('total')} files: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    return _text(lines)


def _text(lines: list[str]) -> str:
    """Lines for a terminal: no file name or label value can inject a control sequence or a line."""
    return "".join(display(line) + "\n" for line in lines)


def verdict_lines(v: Verdict) -> list[str]:
    lines = [f"{v.status:<17} {v.format or '-':<5} {v.path}"]
    if v.error:
        lines.append(f"{'':<17}       error: {v.error}")
        return lines
    imp = v.implicit
    lines.append(f"{'':<17}       implicit: " + (f"{imp.carrier} Label={imp.label.label if imp.label else '?'}" if imp.present else "none"))
    if v.explicit:
        lines.append(f"{'':<17}       explicit: {v.explicit.evidence.summary}")
    lines.extend(f"{'':<17}       {line}" for line in signal_lines(v.signals))
    for problem in v.problems():
        lines.append(f"{'':<17}       {'problem' if problem.is_error else 'warning'}: {problem}")
    return lines


def cmd_verify(args: argparse.Namespace) -> int:
    _check_paths(args.paths)
    policy = policy_from_args(args, getattr(args, "loaded_config", None))
    progress: list[Progress] = []
    jobs = args.jobs or default_jobs()

    def plan(total: int) -> Callable[[Verdict], None]:
        progress.append(Progress(total, "verifying", enabled=not (args.no_progress or args.quiet)))
        return lambda v: progress[0].advance(f"{v.status}: {v.path}")

    try:
        verdicts, skipped = verify_batch(
            args,
            jobs,
            policy=policy,
            signals=replace(signal_options(args), watermark=verify_settings(args)),
            limits=_limits(args, jobs, VERIFY_TIMEOUT),
            ignore=ignore_rules(args),
            on_plan=plan,
        )
    finally:
        if progress:
            progress[0].close()
    failing = gate_failures(verdicts, policy, args.fail_on)
    # A gate that checked nothing must not pass silently (an empty folder, a typo'd glob, only data files).
    nothing_checked = not args.allow_empty and all(v.status in REPORTED_ONLY for v in verdicts)
    run_info = RunInfo(
        policy, tuple((str(s.path), s.reason) for s in skipped), repository_root(), args.fail_on, bool(failing) or nothing_checked
    )
    write_reports(args.report, verdicts, run_info)
    if args.evidence is not None:
        write_evidence(args.evidence, verdicts, run_info)
    if args.format != "text":
        _emit(render_report(args.format, verdicts, run_info), args.output)
    else:
        quiet = _verbosity(args) < 0
        failing_ids = {id(v) for v in failing}
        lines = [line for v in verdicts if not quiet or id(v) in failing_ids for line in verdict_lines(v)]
        lines += [] if quiet else [f"skipped: {s.path} ({s.reason})" for s in skipped]
        lines += [] if quiet else [f"waiver: {w.rule}: {w.reason}" for w in policy.waivers]
        summary = summary_counts(verdicts)
        lines.append("")
        lines.append(f"{summary.pop('total')} files: " + ", ".join(f"{n} {s}" for s, n in summary.items() if n))
        lines.append(
            f"policy {policy.name}: gate "
            + (f"failed ({len(failing)} file(s))" if failing else "failed (no file checked)" if nothing_checked else "passed")
        )
        _emit(_text(lines), args.output)
    if nothing_checked:
        print(
            display(
                f"labeler verify: no file was checked: {len(verdicts)} unsupported, {len(skipped)} skipped under {', '.join(map(str, args.paths))} "
                "(wrong path? pass --allow-empty if an empty run is expected)"
            ),
            file=sys.stderr,
        )
    return EXIT_FAILED if failing or nothing_checked else EXIT_OK


def cmd_inspect(args: argparse.Namespace) -> int:
    _check_paths(args.paths)
    folders = [str(p) for p in args.paths if p.is_dir()]
    if folders:
        raise _Usage(f"{', '.join(folders)}: a folder; inspect reads single files (to check a folder: labeler verify {folders[0]})")
    documents = []
    for path in args.paths:
        verdict = verify_file(path)
        document = verdict.to_dict()
        document["found"] = [
            {
                "carrier": f.carrier,
                "raw": f.raw,
                "label": f.label.as_dict() if f.label else None,
                "wrapped": f.parsed.wrapped,
                "problems": [str(p) for p in f.problems],
                "providers": {
                    key: (code.as_dict() if (code := parse_provider_code(value)) else "name")
                    for key, value in (("ContentProducer", f.label.content_producer), ("ContentPropagator", f.label.content_propagator))
                    if value
                }
                if f.label
                else {},
            }
            for f in verdict.implicit.found
        ]
        documents.append(with_exact_bytes(document, "path"))
    # inspect exits 1 when a file's labels could not be read at all
    exit_code = EXIT_FAILED if any(d["status"] in UNCHECKABLE for d in documents) else EXIT_OK
    if args.format == "json":
        _emit(json.dumps(json_safe(documents), ensure_ascii=False, indent=2) + "\n", None)
        return exit_code
    out: list[str] = []
    for document in documents:
        out.append(f"{document['path']}: {document['media']}/{document['format']}, {document['status']}")
        if document["error"]:
            out.append(f"  error: {document['error']}")
        for found in document["found"]:
            out.append(f"  [{found['carrier']}]" + (' (wrapped {"AIGC":...} form)' if found["wrapped"] else ""))
            out.append(f"    raw: {found['raw']}")
            for key, value in (found["label"] or {}).items():
                out.append(f"    {key:<17} {value!r}")
            for key, code in found["providers"].items():
                out.append(
                    f"    {key} is "
                    + (
                        "a name (not a structured code)"
                        if code == "name"
                        else f"a code: USCC {code['uscc']} ({'valid' if code['uscc_valid'] else 'INVALID'} check), service {code['service_type']}, model {code['model_code']}"
                    )
                )
            out.extend(f"    problem: {p}" for p in found["problems"])
        if not document["found"] and not document["error"]:
            out.append("  no implicit label")
        explicit = document["explicit"]
        if explicit["evidence"]:
            out.append(f"  explicit: {explicit['evidence']}")
        out.extend(_signal_lines(document.get("signals") or {}))
    _emit(_text(out), None)
    return exit_code


def _signal_lines(signals: dict[str, Any]) -> list[str]:
    """The C2PA and IPTC signals of ``inspect``'s text output (the JSON output has them whole)."""
    lines = []
    if c2pa := signals.get("c2pa"):
        where = "embedded" if c2pa["embedded"] else "sidecar"
        signer = (c2pa.get("signer") or {}).get("common_name")
        lines.append(
            f"  c2pa: {c2pa['state']} ({where}"
            + (f", signed by {signer}" if signer else "")
            + ")"
            + (f", actions {', '.join(c2pa['actions'])}" if c2pa["actions"] else "")
            + (f", TC260 assertion {c2pa['tc260_raw']}" if c2pa.get("tc260_raw") else "")
        )
        lines.extend(f"    failure: {code}" for code in c2pa["failures"])
        if c2pa.get("error"):
            lines.append(f"    error: {c2pa['error']}")
    if iptc := signals.get("iptc"):
        lines.append(f"  iptc: DigitalSourceType {iptc['digital_source_type']}" + (" (AI)" if iptc["ai"] else " (not an AI source type)"))
    lines.extend(f"  signal problem: {p}" for p in signals.get("problems", []))
    lines.extend(f"  signal warning: {p}" for p in signals.get("warnings", []))
    return lines


def cmd_formats(args: argparse.Namespace) -> int:
    from ..formattables import listing, precommit_pattern  # generated from the format rows of ADAPTERS

    _emit(precommit_pattern() + "\n" if args.pre_commit_pattern else listing(), None)
    return EXIT_OK


def cmd_config(args: argparse.Namespace) -> int:
    config = Config() if args.no_config else load_config(args.config)
    _emit(show_config(build_parser(), config), None)
    return EXIT_OK


COMMANDS = {
    "label": cmd_label,
    "verify": cmd_verify,
    "inspect": cmd_inspect,
    "formats": cmd_formats,
    "config": cmd_config,
    "serve": serve_command.run,
    "survive": survive_command.run,
}
