"""Producer and propagator roles: which fields each fills, and which it must keep.

- producer: writes Label, ContentProducer, ProduceID, ReservedCode1. Propagator fields already in
  the file are kept (they belong to someone else). A file already labelled by *another* producer is
  refused (``foreign_labels``): its ContentProducer and ProduceID are not ours to erase, and a
  legacy carrier (EXIF UserComment) holding that label would be blanked when the label moves to
  XMP. ``force_producer`` replaces it anyway and the plan names every label replaced.
- propagator: keeps the producer's four fields byte for byte and fills ContentPropagator,
  PropagateID, ReservedCode2. A file with no label yet is classified per Measures Art. 6: the
  person running labeler declares it AI, so Label defaults to "2" (possibly AI-generated) and the
  producer fields stay empty — unless the file's own C2PA or IPTC metadata declares it AI-made
  (a trace, not a TC260 label): then Label defaults to "3" (suspected). ``--label`` overrides both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .c2pa.settings import C2paSettings
from .errors import LabelFormatError
from .label import DEFAULT_ID_TEMPLATE, Label, expand_id_template, value_problems
from .model import Action, Found, Step
from .notice import Notice
from .watermark.settings import WatermarkSettings

ROLES = ("producer", "propagator")
#: Label fields given once for the whole run: a value Annex E forbids is refused before any file
#: is touched (one usage error), not discovered again in every file. IDs may be templates whose
#: expansion ({stem}) is checked per file.
RUN_FIELDS = (
    ("ContentProducer", "producer"),
    ("ProduceID", "produce_id"),
    ("ReservedCode1", "reserved_code1"),
    ("ContentPropagator", "propagator"),
    ("PropagateID", "propagate_id"),
    ("ReservedCode2", "reserved_code2"),
)
PROPAGATOR_DEFAULT_LABEL = "2"
#: Propagator default when no TC260 label exists but C2PA/IPTC metadata declares AI (Art. 6 "suspected").
PROPAGATOR_TRACED_LABEL = "3"


@dataclass(frozen=True)
class LabelOptions:
    """Everything ``label_file`` needs besides the paths."""

    role: str = "producer"
    label: str | None = None  # None: "1" for producers, "2" for propagators of unlabelled files ("3" if C2PA/IPTC declares AI)
    producer: str | None = None
    produce_id: str | None = None  # a value or a template with {sha256:N}, {stem}, {date}, {uuid}
    reserved_code1: str | None = None
    propagator: str | None = None
    propagate_id: str | None = None
    reserved_code2: str | None = None
    notice: Notice = field(default_factory=Notice)
    explicit: bool = True
    implicit: bool = True
    ocr_check: bool = True  # OCR the input for a third-party notice before adding ours (our own are found by receipt)
    source_type: str | None = None  # IPTC DigitalSourceType; None = derived from Label
    dry_run: bool = False
    in_place: bool = False
    media_notices: tuple[tuple[str, Notice], ...] = ()  # per-media notice (config [notice.<media>])
    c2pa: C2paSettings | None = None  # sign a C2PA manifest as the last write (None: no signing)
    force_producer: bool = False  # replace another producer's label instead of refusing the file
    watermark: WatermarkSettings | None = None  # embed an invisible watermark under this key (None: no watermark)

    def notice_for(self, media: str) -> Notice:
        """The notice for one media type: its own from the config, else the general one."""
        return dict(self.media_notices).get(media, self.notice)

    def validated(self) -> LabelOptions:
        for _, notice in self.media_notices:
            notice.validated()
        if self.role not in ROLES:
            raise LabelFormatError(f"role {self.role!r} is not one of {', '.join(ROLES)}", field="role")
        if self.label is not None and self.label not in ("1", "2", "3"):
            raise LabelFormatError(f"Label {self.label!r} is not 1 (AI-generated), 2 (possibly) or 3 (suspected)", field="label")
        if self.role == "producer" and self.implicit and not self.producer:
            raise LabelFormatError(
                "a producer label needs ContentProducer: your 27-character TC260 provider code, or an ASCII name", field="producer"
            )
        if self.role == "propagator" and self.implicit and not self.propagator:
            raise LabelFormatError("a propagator label needs ContentPropagator: your provider code", field="propagator")
        for key, attr in RUN_FIELDS:
            for problem in value_problems(key, getattr(self, attr) or ""):
                if problem.is_error:
                    # The message keeps the flag spelling API users have matched on since 1.0.
                    raise LabelFormatError(f"--{attr.replace('_', '-')}: {problem.message}", field=attr)
        if not (self.explicit or self.implicit):
            raise LabelFormatError("nothing to do: --no-explicit and --no-implicit together leave no label to write")
        if self.watermark is not None and not self.implicit:
            raise LabelFormatError(
                "a watermark carries a digest of the implicit label, and GB 45438 never lets it replace that label: "
                "drop --no-implicit or --watermark",
                field="watermark",
            )
        self.notice.validated()
        if self.c2pa is not None:
            self.c2pa.validated()
        return self


def build_label(existing: Label | None, options: LabelOptions, *, sha256: str, source: Path, traced: bool = False) -> Label:
    """The label to write, from what the file already carries and what the user asked for.
    ``traced``: the file has no TC260 label but other metadata (C2PA, IPTC) declares it AI."""

    def expand(template: str) -> str:
        return expand_id_template(template, sha256=sha256, stem=source.stem)

    base = existing or Label(label="", content_producer="", produce_id="")
    if options.role == "producer":
        # Our earlier ProduceID is kept on relabelling; another producer's ID is not ours to reuse.
        earlier_id = base.produce_id if base.content_producer == options.producer else ""
        label = base.with_fields(
            label=options.label or "1",
            content_producer=options.producer or "",
            produce_id=expand(options.produce_id) if options.produce_id else earlier_id or expand(DEFAULT_ID_TEMPLATE),
            reserved_code1=options.reserved_code1 if options.reserved_code1 is not None else base.reserved_code1,
        )
    else:
        earlier_id = base.propagate_id if base.content_propagator == options.propagator else ""
        label = base.with_fields(
            label=base.label or options.label or (PROPAGATOR_TRACED_LABEL if traced else PROPAGATOR_DEFAULT_LABEL),
            content_propagator=options.propagator or "",
            propagate_id=expand(options.propagate_id) if options.propagate_id else earlier_id or expand(DEFAULT_ID_TEMPLATE),
            reserved_code2=options.reserved_code2 if options.reserved_code2 is not None else base.reserved_code2,
        )
    try:
        return label.require_writable()
    except LabelFormatError as exc:
        if existing is not None and options.role == "propagator" and existing.problems():
            raise LabelFormatError(
                f"the producer's label already in the file breaks Annex E and a propagator must keep it byte for byte ({exc.message}); "
                "ask the producer for a corrected file"
            ) from exc
        raise


def foreign_labels(found: list[Found], label: Label) -> tuple[Found, ...]:
    """The labels in the file (any carrier) made by a producer other than the one ``label`` names:
    writing ``label`` would replace them, and legacy carriers holding them would be blanked."""
    return tuple(f for f in found if f.label is not None and f.label.content_producer not in ("", label.content_producer))


def _described(found: Found) -> str:
    assert found.label is not None
    return f"{found.carrier} (ContentProducer {found.label.content_producer}, ProduceID {found.label.produce_id or '(empty)'})"


def replacements(found: list[Found], label: Label, options: LabelOptions) -> tuple[Action, ...]:
    """Plan lines naming each other producer's label that writing ``label`` replaces; refuses
    (``LabelFormatError``) unless ``options.force_producer`` says the user means it."""
    foreign = foreign_labels(found, label)
    if not foreign:
        return ()
    others = "; ".join(_described(f) for f in foreign)
    if not options.force_producer:
        if options.role == "producer":
            hint = (
                "to add your distribution fields and keep theirs use --role propagator --propagator CODE; "
                "to replace their label anyway pass --force-producer"
            )
        else:
            hint = (
                "the file's labels disagree and a propagator keeps one producer's fields; pass --force-producer to keep only "
                + label.content_producer
            )
        raise LabelFormatError(f"the file already carries another producer's label, which is not ours to erase: {others}; {hint}")
    return tuple(Action(Step.REPLACE_FOREIGN, f"replace another producer's label (--force-producer): {_described(f)}") for f in foreign)
