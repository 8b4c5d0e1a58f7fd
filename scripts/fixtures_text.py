"""Text-family fixtures: clean samples (UTF-8, GB18030, UTF-16, CRLF, Markdown, HTML, subtitles)
and odd or bad cases (binary named .txt, invalid UTF-8, broken front matter, foreign labels)."""

from __future__ import annotations

import codecs
from pathlib import Path

PRODUCER = "001191110102MACQD9K64010000"
GOOD = (
    '{"Label":"1","ContentProducer":"001191110102MACQD9K64010000","ProduceID":"doubao-7f3a","ReservedCode1":"",'
    '"ContentPropagator":"","PropagateID":"","ReservedCode2":""}'
)
ARTICLE = "春季新品发布会将于下周举行。\n本次活动展示了全新的产品系列，欢迎各位莅临。\n"


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def generate(root: Path) -> None:
    samples, cases = root / "samples" / "text", root / "cases" / "text"
    _write(samples / "article-utf8.txt", ARTICLE)
    _write(samples / "article-gb18030.txt", ARTICLE.encode("gb18030"))
    _write(samples / "article-utf16-bom.txt", codecs.BOM_UTF16_LE + ARTICLE.encode("utf-16-le"))
    _write(samples / "article-utf8-bom-crlf.txt", codecs.BOM_UTF8 + ARTICLE.replace("\n", "\r\n").encode())
    _write(
        samples / "post-front-matter.md",
        '---\ntitle: "Spring launch"\ntags: [launch, spring]\n# a comment that must survive\ndraft: false\n---\n# Spring launch\n\nCopy for the campaign page.\n',
    )
    _write(samples / "post-plain.md", "# Product copy\n\nThree short paragraphs of marketing copy.\n")
    _write(
        samples / "landing.html",
        '<!DOCTYPE html>\n<html lang="zh">\n<head>\n<meta charset="utf-8">\n<title>新品</title>\n</head>\n<body>\n<h1>新品上市</h1>\n<p>欢迎选购。</p>\n</body>\n</html>\n',
    )
    _write(samples / "captions.srt", "1\n00:00:01,000 --> 00:00:03,500\n欢迎收看\n\n2\n00:00:04,000 --> 00:00:06,000\n新品介绍\n")
    _write(
        samples / "captions.vtt",
        "WEBVTT\n\nSTYLE\n::cue { color: white }\n\n00:00:01.000 --> 00:00:03.500\n欢迎收看\n\n00:00:04.000 --> 00:00:06.000\n新品介绍\n",
    )

    _write(cases / "binary-named.txt", bytes(range(256)) * 4)
    _write(cases / "invalid-utf8.txt", b"caf\xe9 \xff\xfe latin-1 text that is not UTF-8\n")
    _write(cases / "empty.txt", b"")
    _write(cases / "bad-front-matter.md", "---\ntitle: [unclosed\n  - : :\n---\nbody\n")
    _write(cases / "alias-bomb-front-matter.md", "---\na: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n---\nbody\n")
    _write(cases / "no-head.html", "<p>Just a paragraph, no html, head or body tags.</p>\n")
    _write(
        cases / "labelled-compliant.md",
        f'---\nAIGC:\n  Label: "1"\n  ContentProducer: "{PRODUCER}"\n  ProduceID: "doubao-7f3a"\n  ReservedCode1: ""\n  ContentPropagator: ""\n  PropagateID: ""\n  ReservedCode2: ""\n---\n本内容由人工智能生成\n\nBody.\n',
    )
    _write(
        cases / "label-chinese-producer.md",
        '---\nAIGC:\n  Label: "1"\n  ContentProducer: "豆包"\n  ProduceID: "x1"\n  ReservedCode1: ""\n  ContentPropagator: ""\n  PropagateID: ""\n  ReservedCode2: ""\n---\n本内容由人工智能生成\n',
    )
    _write(
        cases / "label-numbers.md",
        f'---\nAIGC:\n  Label: 1\n  ContentProducer: "{PRODUCER}"\n  ProduceID: 12345\n  ReservedCode1: ""\n  ContentPropagator: ""\n  PropagateID: ""\n  ReservedCode2: ""\n---\nAI生成\n',
    )
    suspected = GOOD.replace('"Label":"1"', '"Label":"3"')
    _write(
        cases / "two-labels-disagree.html",
        f"<html><head><meta name='AIGC' content='{GOOD}'><meta name='aigc' content='{suspected}'></head><body><p>AI生成</p></body></html>\n",
    )
    _write(cases / "english-only-notice.txt", "AI-generated content\nSome text.\n")
    _write(cases / "notice-without-generation-element.txt", "XX AI\nSome text.\n")
    _write(
        cases / "wrapped-label.html",
        f'<html><head><meta name="AIGC" content=\'{{"AIGC":{GOOD}}}\'></head><body><p>由AI合成</p></body></html>\n',
    )
