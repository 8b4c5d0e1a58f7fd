from __future__ import annotations

import codecs
from pathlib import Path

import pytest
import yaml

from labeler import Label, LabelOptions, Notice, label_file, verify_file
from labeler.adapters.text.encoding import decode
from labeler.registry import sniff

from .conftest import FIXTURES, PRODUCER

OPTIONS = LabelOptions(producer=PRODUCER, produce_id="t1")
TEXT_SAMPLES = FIXTURES / "samples" / "text"


def label(src: Path, tmp_path: Path, options: LabelOptions = OPTIONS) -> Path:
    out = tmp_path / "out" / src.name
    result = label_file(src, out, options)
    assert result.ok, result.error
    return out


@pytest.mark.parametrize("name", ["article-utf8.txt", "article-gb18030.txt", "article-utf16-bom.txt", "article-utf8-bom-crlf.txt"])
def test_encoding_bom_and_newlines_preserved(name: str, tmp_path: Path) -> None:
    src = TEXT_SAMPLES / name
    before = decode(src.read_bytes())
    out = label(src, tmp_path)
    after = decode(out.read_bytes())
    assert (after.encoding, after.bom, after.newline) == (before.encoding, before.bom, before.newline)
    assert after.text == "本内容由人工智能生成" + before.newline + before.text
    sidecar = out.with_name(out.name + ".aigc.json")
    assert sidecar.read_text().strip() == Label(content_producer=PRODUCER, produce_id="t1").to_json()
    verdict = verify_file(out)
    assert verdict.implicit.carrier == "sidecar" and "implicit.sidecar" in {p.rule for p in verdict.implicit.problems}


@pytest.mark.parametrize(("position", "first", "last"), [("start", True, False), ("end", False, True), ("both", True, True)])
def test_text_positions(position: str, first: bool, last: bool, tmp_path: Path) -> None:
    out = label(TEXT_SAMPLES / "article-utf8.txt", tmp_path, LabelOptions(producer=PRODUCER, notice=Notice(position=position)))
    lines = out.read_text().splitlines()
    assert (lines[0] == "本内容由人工智能生成") is first
    assert (lines[-1] == "本内容由人工智能生成") is last
    assert verify_file(out).status == "compliant"


def test_markdown_front_matter_merged_in_order(tmp_path: Path) -> None:
    src = TEXT_SAMPLES / "post-front-matter.md"
    out = label(src, tmp_path)
    text = out.read_text()
    matter = text.split("---\n")[1]
    assert matter.startswith('title: "Spring launch"\ntags: [launch, spring]\n# a comment that must survive\ndraft: false\nAIGC:\n')
    data = yaml.safe_load(matter)
    assert data["AIGC"] == Label(content_producer=PRODUCER, produce_id="t1").as_dict()
    assert data["draft"] is False
    assert text.split("---\n", 2)[2].startswith("本内容由人工智能生成\n\n# Spring launch")
    # relabelling replaces the AIGC block instead of adding a second
    again = label(out, tmp_path / "2", LabelOptions(producer=PRODUCER, produce_id="t2"))
    assert again.read_text().count("AIGC:") == 1 and 'ProduceID: "t2"' in again.read_text()


def test_markdown_without_front_matter_gets_one(tmp_path: Path) -> None:
    out = label(TEXT_SAMPLES / "post-plain.md", tmp_path)
    assert out.read_text().startswith('---\nAIGC:\n  Label: "1"\n')
    assert verify_file(out).implicit.carrier == "markdown:front-matter:AIGC"


def test_html_rest_is_byte_identical(tmp_path: Path) -> None:
    src = TEXT_SAMPLES / "landing.html"
    out = label(src, tmp_path)
    original, labelled = src.read_text(), out.read_text()
    meta = labelled[labelled.index('<meta name="AIGC"') : labelled.index("'>", labelled.index('<meta name="AIGC"')) + 2]
    notice = '<p class="aigc-notice" role="note">本内容由人工智能生成</p>'
    assert labelled.replace(meta, "", 1).replace(notice, "", 1) == original
    assert labelled.index(meta) > labelled.index("<head>") and labelled.index(notice) > labelled.index("<body>")


def test_html_without_head_gets_one(tmp_path: Path) -> None:
    out = label(FIXTURES / "cases" / "text" / "no-head.html", tmp_path)
    assert out.read_text().startswith('<head><meta name="AIGC"')
    assert verify_file(out).status == "compliant"


def test_html_label_with_apostrophe_round_trips(tmp_path: Path) -> None:
    out = label(TEXT_SAMPLES / "landing.html", tmp_path, LabelOptions(producer="O'Brien&Co", produce_id="x"))
    assert verify_file(out).implicit.label.content_producer == "O'Brien&Co"


def test_subtitles(tmp_path: Path) -> None:
    srt = label(TEXT_SAMPLES / "captions.srt", tmp_path).read_text()
    assert srt.startswith("1\n00:00:00,000 --> 00:00:03,000\n本内容由人工智能生成\n\n2\n00:00:01,000")
    vtt = label(TEXT_SAMPLES / "captions.vtt", tmp_path).read_text()
    assert vtt.startswith("WEBVTT\n\nNOTE AIGC {")
    assert vtt.index("STYLE") < vtt.index("00:00:00.000 --> 00:00:03.000\n本内容由人工智能生成") < vtt.index("00:00:01.000")


@pytest.mark.parametrize(
    ("case", "status", "needle"),
    [
        ("binary-named.txt", "error", "extension says text but the content is not"),
        ("invalid-utf8.txt", "error", "unsupported encoding"),
        ("bad-front-matter.md", "error", "front matter is not valid YAML"),
        ("alias-bomb-front-matter.md", "error", "aliases are not allowed"),
        ("empty.txt", "unlabelled", None),
        ("label-chinese-producer.md", "invalid", "label.forbidden-char"),
        ("label-numbers.md", "invalid", "label.non-string"),
        ("two-labels-disagree.html", "invalid", "implicit.conflict"),
        ("english-only-notice.txt", "invalid", "notice.english-only"),
        ("labelled-compliant.md", "compliant", None),
        ("wrapped-label.html", "compliant", None),
    ],
)
def test_cases_verify(case: str, status: str, needle: str | None) -> None:
    verdict = verify_file(FIXTURES / "cases" / "text" / case)
    assert verdict.status == status, verdict.to_dict()
    if needle:
        assert needle in str(verdict.to_dict())


def test_bad_input_labels_to_clean_failure_without_output(tmp_path: Path) -> None:
    for case in ("binary-named.txt", "invalid-utf8.txt", "bad-front-matter.md"):
        out = tmp_path / case
        result = label_file(FIXTURES / "cases" / "text" / case, out, OPTIONS)
        assert result.status == "failed" and result.error and "Traceback" not in result.error
        assert not out.exists() and list(tmp_path.iterdir()) == []


def test_chinese_producer_refused_on_write(tmp_path: Path) -> None:
    result = label_file(TEXT_SAMPLES / "article-utf8.txt", tmp_path / "a.txt", LabelOptions(producer="豆包"))
    assert result.status == "failed" and "ContentProducer" in result.error and "'豆'" in result.error
    assert not (tmp_path / "a.txt").exists()


def test_wrong_extension_sniffed_by_content(tmp_path: Path) -> None:
    html_as_txt = tmp_path / "page.txt"
    html_as_txt.write_bytes((TEXT_SAMPLES / "landing.html").read_bytes())
    assert sniff(html_as_txt).adapter.name == "html"
    vtt_as_txt = tmp_path / "subs.txt"
    vtt_as_txt.write_bytes((TEXT_SAMPLES / "captions.vtt").read_bytes())
    assert sniff(vtt_as_txt).adapter.name == "webvtt"


def test_utf16_without_bom_is_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes("hello".encode("utf-16-le"))
    assert verify_file(path).status == "error"


def test_structured_text_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text('{"a": 1}')
    assert verify_file(path).status == "unsupported"


def test_utf32_bom(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(codecs.BOM_UTF32_LE + "内容".encode("utf-32-le"))
    out = label(path, tmp_path)
    assert decode(out.read_bytes()).encoding == "utf-32-le"


def test_png_named_txt_goes_to_the_image_adapter(tmp_path: Path) -> None:
    png = next((FIXTURES / "samples" / "image").glob("*.png"))
    disguised = tmp_path / "notes.txt"
    disguised.write_bytes(png.read_bytes())
    assert sniff(disguised).adapter.name == "png"
