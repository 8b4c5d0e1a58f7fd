"""When is a piece of text a notice? One rule for documents, text, subtitles and OCR'd frames.

GB 45438 asks for a notice holding an AI element (``AI``/``AIGC``/``人工智能``) and a generation
element (``生成``/``合成``). Holding both words is not enough: body text that *mentions* generative
AI ("近年来，生成式人工智能技术发展迅速……") or denies it ("不是AI生成") is not a notice. A notice is
a short statement that this content is AI-generated, and each family offers only the *units* it
shows as notices (a line or paragraph of its own, a header or footer, a caption, a cell, a slide
text box, a subtitle cue, an OCR'd line, and the first or last sentence of a document). A unit is
read here, on its NFKC-folded, upper-cased text, in this order:

1. **Short**: at most ``MAX_TOKENS`` tokens (a CJK character or a Latin word is one token;
   punctuation and spaces count nothing). Longer units are body text.
2. **Close**: an AI element and a generation element in one clause (no ``，。；：！？`` between
   them), at most ``MAX_GAP`` characters apart (``本内容由人工智能技术辅助生成``); the generation
   element may precede the AI element by at most ``MAX_REVERSE_GAP`` characters.
3. **A verb, not a lookalike**: ``生成式`` (generative), ``合成器`` (synthesizer), ``合成材料`` …
   (``LOOKALIKE_AFTER``) are not a generation element.
4. **Not negated**: no negation (``不``, ``非``, ``没``, ``未``, ``无``, ``并非``, ``禁止`` …) in the
   clause before the generation element, no claim of human making (``手工``, ``手绘``, ``实拍`` …) in
   the clause, no question (``如何``, ``吗``, ``？`` …) in the unit.
5. **About this content**: an attributive use followed by a general predicate
   (``AI生成的内容需要标识``) or a quantified subject (``超过一半的网络图片由AI生成``) is a remark about
   AI content in general, unless a deictic subject (``本``, ``此``, ``该`` …) ties it to this content.

A unit passing all five is a **notice**. A short unit that is plainly an attempt at one but lacks
an element is an **attempt** (reported ``notice.missing-element``, the file ``invalid``): a vendor
mark ending in the AI element (``即梦AI``, ``可灵AI``, a lone ``AI``), the AI element with another
making verb (``AI创作``, ``AI绘制``), or a generation element credited to a machine agent
(``模型合成``, ``由大模型生成``). An English-only notice ("AI-generated") is **english-only**.
Everything else, including negated and lookalike text, is **none**: not a notice at all.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: A notice is a short statement: units longer than this many tokens are body text.
MAX_TOKENS = 30
#: An attempt (an element missing) is shorter still: a mark or a caption, not a sentence.
MAX_ATTEMPT_TOKENS = 12
#: Characters (spaces not counted) allowed between the AI element and a following generation element.
MAX_GAP = 8
#: ... and between a generation element and a following AI element (``生成：AI`` is unusual).
MAX_REVERSE_GAP = 2

# "AI" counts only as a word of its own (or AIGC): not inside "CAMPAIGN", "EMAIL" or "SAID".
AI_PATTERN = re.compile(r"(?<![A-Z])AI(?:GC)?(?![A-Z])|人工智能")
GENERATION_PATTERN = re.compile("生成|合成")
ENGLISH_PATTERN = re.compile(r"\b(AI[- ]GENERATED|GENERATED (BY|WITH) AI|AI[- ]SYNTHESI[SZ]ED)\b")
_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[A-Z0-9]+")
_CLAUSE = re.compile(r"[，,。．.；;：:！!？?、\n\r]")
_SENTENCE = re.compile(r"(?<=[。！？!?；;])|(?<=\.)(?=\s)|[\r\n]+")

#: Words right after 生成/合成 that make it a noun or adjective, not "was generated".
LOOKALIKE_AFTER = ("式", "器", "物", "材料", "纤维", "树脂", "橡胶", "革", "氨", "酶", "生物", "反应", "洗涤")
#: Negation before the generation element in its clause (``非常``, ``未来``, ``无人机`` are not).
NEGATION = re.compile(r"不|(?<!是)非(?!常)|没|未(?!来)|无(?!人机|论)|别|拒绝|禁止|严禁|杜绝|\bNOT\b|\bNO\b")
#: A claim that people made it, in the same clause as the elements.
HUMAN_MADE = re.compile(r"手工|手绘|手写|亲手|实拍|纯人工|人工绘制|人工创作|人工撰写|人工拍摄|人工制作")
QUESTION = re.compile(r"如何|怎么|怎样|为什么|为何|是否|能否|可否|吗|[？?]")
#: A quantified subject before the elements (``超过一半的网络图片由AI生成``) speaks of content in general.
GENERAL_SUBJECT = re.compile(r"一半|多数|大量|很多|众多|许多|越来越多|超过|已有|每年|全球|网络上|网上")
#: A deictic subject ties a statement to this content.
DEICTIC = re.compile(r"本|此|该|这|以下|上述|下列")
#: After "<pair>的 ...": a general predicate marks a remark about AI content in general.
GENERAL_PREDICATE = re.compile(r"需要|需|应|必须|越来越|日益|正在|可能|会|将|已|成为|引发|带来|泛滥|增多|激增")
#: Attempts lacking the generation element: a vendor mark ending in the AI element, or another verb.
AI_ONLY_ATTEMPT = re.compile(
    r"^[\u3400-\u9fffA-Z0-9 ·]{0,8}?(?<![A-Z])(?:AI(?:GC)?|人工智能)$"
    r"|^(?:本|此|该)?[\u3400-\u9fff]{0,4}?(?:由|经)?(?<![A-Z])(?:AI(?:GC)?|人工智能)(?:辅助|参与|自动)?(?:创作|制作|绘制|绘画|作图|制图|出品|生产|作品|创意|绘|画|制|作)$"
)
#: Attempts lacking the AI element: a generation element credited to a machine or an agent.
GENERATION_ONLY_ATTEMPT = re.compile(
    r"(?:模型|算法|机器|智能|数字人|虚拟人|深度学习|神经网络|电脑|计算机|程序)[^，,。；;：:]{0,2}(?:生成|合成)"
    r"|^(?:本|此|该)?[\u3400-\u9fff]{0,4}?(?:由|经|系)[^，,。；;：:]{1,8}?(?:生成|合成)"
)


def normalise(text: str) -> str:
    """Width- and case-folded text for matching (``ＡＩ生成`` → ``AI生成``)."""
    return unicodedata.normalize("NFKC", text).upper()


def tokens(text: str) -> int:
    """CJK characters plus Latin words: the length of a unit as a reader sees it."""
    return len(_TOKEN.findall(normalise(text)))


@dataclass(frozen=True)
class Reading:
    """What one unit of text is: ``notice``, ``attempt``, ``english-only`` or ``none``."""

    kind: str
    text: str
    reason: str
    #: For an attempt: the element(s) it lacks, in words.
    missing: tuple[str, ...] = ()

    @property
    def is_notice(self) -> bool:
        return self.kind == "notice"


def _generation_spans(folded: str) -> list[tuple[int, int]]:
    return [m.span() for m in GENERATION_PATTERN.finditer(folded) if not folded.startswith(LOOKALIKE_AFTER, m.end())]


def _clause(folded: str, start: int, end: int) -> tuple[int, int]:
    before = [m.end() for m in _CLAUSE.finditer(folded, 0, start)]
    after = _CLAUSE.search(folded, end)
    return (before[-1] if before else 0), (after.start() if after else len(folded))


def _pair_verdict(folded: str, ai: tuple[int, int], gen: tuple[int, int]) -> str | None:
    """None when this AI/generation pair makes a statement; otherwise why it does not."""
    forward = ai[1] <= gen[0]
    gap = folded[ai[1] : gen[0]] if forward else folded[gen[1] : ai[0]]
    if _CLAUSE.search(gap):
        return "the elements are in different clauses"
    if len(gap.replace(" ", "")) > (MAX_GAP if forward else MAX_REVERSE_GAP):
        return "the elements are too far apart"
    lo, hi = _clause(folded, min(ai[0], gen[0]), max(ai[1], gen[1]))
    if NEGATION.search(folded, lo, gen[0]):
        return "it is negated"
    if HUMAN_MADE.search(folded, lo, hi):
        return "it says people made the content"
    rest, subject = folded[gen[1] : hi], folded[lo : min(ai[0], gen[0])]
    general = (rest.startswith("的") and GENERAL_PREDICATE.search(rest)) or GENERAL_SUBJECT.search(subject)
    if general and not DEICTIC.search(subject):
        return "it is a remark about AI content in general"
    return None


def read_unit(text: str) -> Reading:
    """Classify one unit (see the module docstring)."""
    shown = " ".join(text.split())
    folded = normalise(shown)
    ais = [m.span() for m in AI_PATTERN.finditer(folded)]
    gens = _generation_spans(folded)
    length = tokens(shown)
    if ais and gens:
        if length > MAX_TOKENS:
            return Reading("none", shown, f"{length} tokens: body text, not a notice (at most {MAX_TOKENS})")
        if QUESTION.search(folded):
            return Reading("none", shown, "a question, not a statement")
        reasons = [_pair_verdict(folded, ai, gen) for ai in ais for gen in gens]
        if None in reasons:
            return Reading("notice", shown, "a short statement holding both elements")
        return Reading("none", shown, next(r for r in reasons if r))
    if ENGLISH_PATTERN.search(folded) and length <= MAX_TOKENS:
        return Reading("english-only", shown, "an English-only notice")
    if length <= MAX_ATTEMPT_TOKENS and not QUESTION.search(folded) and not NEGATION.search(folded):
        bare = re.sub(r"[\s\W_]+$|^[\s\W_]+", "", folded)
        if ais and not GENERATION_PATTERN.search(folded) and AI_ONLY_ATTEMPT.search(bare):
            return Reading("attempt", shown, "a notice without a generation element", ("generation element ('生成' or '合成')",))
        if gens and not ais and GENERATION_ONLY_ATTEMPT.search(bare):
            return Reading("attempt", shown, "a notice without an AI element", ("AI element ('AI' or '人工智能')",))
    return Reading("none", shown, "no notice")


def is_notice(text: str) -> bool:
    return read_unit(text).is_notice


def sentences(text: str) -> list[str]:
    """Sentences of a longer unit, for "the first or last sentence of the document"."""
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def best(readings: list[Reading]) -> Reading | None:
    """The reading that decides a family's answer: a notice, else an English-only one, else an attempt."""
    for kind in ("notice", "english-only", "attempt"):
        found = next((r for r in readings if r.kind == kind), None)
        if found is not None:
            return found
    return None
