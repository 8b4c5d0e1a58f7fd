"""labeler.toml / [tool.labeler]: discovery, generic key -> flag mapping, precedence, --show, ignore."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from labeler.batch import Item
from labeler.cli import build_parser, main
from labeler.config import find_config, load_config
from labeler.ignore import IgnoreRules, filter_ignored
from labeler.verify import STATUSES

from .conftest import FIXTURES, PRODUCER

CASES = FIXTURES / "cases" / "text"

CONFIG = f"""
producer = "{PRODUCER}"
policy = "strict"
fail_on = ["invalid", "error"]
ignore = ["assets/raw/"]

[notice]
position = "end"

[notice.text]
text = "由AI生成"
size = 0.06

[cue]
type = "morse"
mode = "overlay"
position = "both"

[c2pa]
alg = "ps256"
tsa = "http://tsa.invalid"

[report]
files = {{junit = "out/labeler.xml"}}

[[waiver]]
rule = "notice.english-only"
reason = "bilingual campaign, Chinese notice checked by legal"
paths = ["assets/*-promo.txt"]
"""


def _show(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert main(["config", "--show", *extra]) == 0
    return capsys.readouterr().out


def _line(text: str, section: str, dest: str) -> str:
    block = text.split(f"[{section}]", 1)[1].split("\n\n", 1)[0]
    return next(line for line in block.splitlines() if line.strip().startswith(dest + " "))


def test_found_by_walking_up_labeler_toml_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.labeler]\nproducer = "FromPyproject"\n')
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    found = find_config(deep)
    assert found is not None and found[0] == tmp_path / "pyproject.toml" and found[1]["producer"] == "FromPyproject"
    (tmp_path / "labeler.toml").write_text('producer = "FromLabelerToml"\n')
    assert find_config(deep)[1]["producer"] == "FromLabelerToml"
    (tmp_path / "a" / "pyproject.toml").write_text('[project]\nname = "x"\n')  # no [tool.labeler]: passed over
    assert find_config(deep)[0] == tmp_path / "labeler.toml"


def test_show_reports_values_and_origins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "labeler.toml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    text = _show(capsys)
    assert f"configuration file: {(tmp_path / 'labeler.toml').resolve()}" in text
    assert PRODUCER in _line(text, "label", "producer") and "labeler.toml: producer" in _line(text, "label", "producer")
    assert "'ps256'" in _line(text, "label", "c2pa_alg") and "labeler.toml: c2pa.alg" in _line(text, "label", "c2pa_alg")
    assert "labeler.toml: c2pa.tsa" in _line(text, "label", "tsa")  # [c2pa] tsa -> dest tsa (no c2pa_tsa flag)
    assert "labeler.toml: notice.position" in _line(text, "label", "notice_position")
    assert (
        "'strict'" in _line(text, "verify", "policy")
        and "'text'" in _line(text, "verify", "format")
        and "# default" in _line(text, "verify", "format")
    )
    assert "labeler.toml: report.files" in _line(text, "verify", "report")
    assert "[notice.text]" in text and "height_ratio" in text and "assets/raw/" in text
    audio = text.split("[notice.audio]", 1)[1].split("\n\n", 1)[0]
    assert "cue_mode" in audio and "'overlay'" in audio and "'both'" in audio  # [cue] -> the audio notice
    assert "notice.english-only: bilingual campaign" in text


def test_command_line_overrides_file_and_file_overrides_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "labeler.toml").write_text(CONFIG, encoding="utf-8")
    assets = tmp_path / "assets"
    assets.mkdir()
    for name in ("english-only-notice.txt", "label-chinese-producer.md", "labelled-compliant.md"):
        shutil.copyfile(CASES / name, assets / name)
    shutil.copyfile(CASES / "english-only-notice.txt", assets / "english-promo.txt")
    (assets / "raw").mkdir()
    (assets / "raw" / "data.bin").write_bytes(b"\x00\x01 not an asset")
    monkeypatch.chdir(tmp_path)

    code = main(["verify", "assets", "--format", "json", "--no-progress", "--jobs", "1"])
    report = json.loads(capsys.readouterr().out)
    assert report["policy"]["name"] == "strict"  # from the file
    assert report["gate"]["fail_on"] == ["error", "invalid"]
    statuses = {Path(f["path"]).name: (f["status"], f["passed"]) for f in report["files"]}
    assert statuses["english-promo.txt"][0] == "missing-implicit"  # the waiver turned the notice error into a warning
    assert statuses["english-only-notice.txt"][0] == "invalid"  # not covered by the waiver's paths
    assert "data.bin" not in statuses and any(s["path"].endswith("data.bin") and "ignored by" in s["reason"] for s in report["skipped"])
    assert report["policy"]["waivers"][0]["reason"].startswith("bilingual campaign")
    assert code == 1
    assert (tmp_path / "out" / "labeler.xml").is_file()  # [report] files

    code = main(["verify", "assets", "--format", "json", "--no-progress", "--jobs", "1", "--policy", "report-only", "--fail-on", "any"])
    report = json.loads(capsys.readouterr().out)
    assert report["policy"]["name"] == "report-only" and report["gate"] == {"failed": False, "fail_on": sorted(STATUSES)} and code == 0

    code = main(["verify", "assets", "--format", "json", "--no-progress", "--jobs", "1", "--no-config"])
    report = json.loads(capsys.readouterr().out)
    assert report["policy"]["name"] == "gb45438" and report["policy"]["waivers"] == [] and not report["skipped"] and code == 1


def test_per_media_notice_from_config_and_flag_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "labeler.toml").write_text(CONFIG, encoding="utf-8")
    src = tmp_path / "in" / "post.txt"
    src.parent.mkdir()
    src.write_text("春季新品发布会将于下周举行。\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["label", "in", "--out", "out1", "--no-progress", "--jobs", "1"]) == 0
    assert (tmp_path / "out1" / "post.txt").read_text(encoding="utf-8").rstrip().endswith("由AI生成")  # [notice.text] + position end
    assert (
        main(
            ["label", "in", "--out", "out2", "--no-progress", "--jobs", "1", "--notice-text", "人工智能合成", "--notice-position", "start"]
        )
        == 0
    )
    assert (tmp_path / "out2" / "post.txt").read_text(encoding="utf-8").startswith("人工智能合成")
    capsys.readouterr()


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('producr = "x"\n', "unknown key 'producr'"),
        ("[c2pa]\nalg = 3\nnot_a_flag = 1\n", "unknown key 'c2pa.not_a_flag'"),
        ('policy = "lenient"\n', "'lenient' is not one of"),
        ('[[waiver]]\nrule = "notice.too-small"\n', "no reason"),
        ('[notice.hologram]\ntext = "AI生成"\n', "not a media type"),
        ('include_hidden = "yes"\n', "must be true or false"),
        ("producer = \n", "not valid TOML"),
    ],
)
def test_bad_config_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], toml: str, message: str
) -> None:
    (tmp_path / "labeler.toml").write_text(toml, encoding="utf-8")
    (tmp_path / "a.txt").write_text("AI生成\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["verify", "a.txt", "--no-progress", "--jobs", "1"]) == 2
    assert message in capsys.readouterr().err


def test_pyproject_table_and_explicit_config_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.labeler]\npolicy = "report-only"\n', encoding="utf-8")
    other = tmp_path / "ci.toml"
    other.write_text('policy = "strict"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert "'report-only'" in _line(_show(capsys), "verify", "policy")
    assert "'strict'" in _line(_show(capsys, "--config", str(other)), "verify", "policy")
    assert load_config(other).settings[0].origin == "ci.toml [tool.labeler]" or load_config(other).path == other.resolve()


def test_ignore_rules_use_gitignore_syntax(tmp_path: Path) -> None:
    rules = [IgnoreRules(tmp_path, ("# comment", "*.psd", "build/", "!build/keep.png", "/top.txt", "docs/**/*.md"), ".labelerignore")]
    names = ["a.psd", "x/b.psd", "build/out.png", "build/keep.png", "top.txt", "x/top.txt", "docs/a/b/c.md", "docs/c.txt", "ok.png"]
    items = [Item(tmp_path / n, Path(n)) for n in names]
    kept, skipped = filter_ignored(items, rules)
    assert [i.relative.as_posix() for i in kept] == ["build/keep.png", "x/top.txt", "docs/c.txt", "ok.png"]
    assert all(s.reason == "ignored by .labelerignore" for s in skipped)


def test_parser_dests_cover_documented_keys() -> None:
    verify = build_parser()._subparsers._group_actions[0].choices["verify"]
    dests = {a.dest for a in verify._actions}
    assert {"policy", "fail_on", "report", "format", "config", "no_config"} <= dests


def test_a_file_nobody_can_check_is_reported_and_fails_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "assets").mkdir()
    shutil.copyfile(CASES / "labelled-compliant.md", tmp_path / "assets" / "post.md")
    (tmp_path / "assets" / "notes.json").write_text('{"not": "an asset"}', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["verify", "assets", "--no-progress", "--jobs", "1"]) == 0
    assert "unsupported" in capsys.readouterr().out
    assert main(["verify", "assets", "--no-progress", "--jobs", "1", "--fail-on", "unsupported"]) == 1
    capsys.readouterr()
    (tmp_path / ".labelerignore").write_text("*.json\n", encoding="utf-8")
    assert main(["verify", "assets", "--no-progress", "--jobs", "1", "--fail-on", "any"]) == 0
    assert "skipped: assets/notes.json (ignored by .labelerignore)" in capsys.readouterr().out


def test_python_api_takes_policy_and_ignore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import labeler

    (tmp_path / "labeler.toml").write_text('ignore = ["*.json"]\n', encoding="utf-8")
    shutil.copyfile(CASES / "label-chinese-producer.md", tmp_path / "post.md")
    (tmp_path / "notes.json").write_text("{}", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    config = labeler.load_config()
    verdicts = labeler.verify_paths([tmp_path], jobs=1, policy="report-only", ignore=config.ignore_rules())
    assert [v.path.name for v in verdicts] == ["post.md"] and verdicts[0].status == "invalid"
    assert labeler.gate_failures(verdicts, "report-only") == [] and labeler.gate_failures(verdicts, "gb45438") == verdicts
    text = labeler.render_report("markdown", verdicts, labeler.RunInfo(labeler.Policy(), gate_failed=True))
    assert "label check failed" in text and "post.md" in text


def test_media_notice_keeps_every_command_line_notice_flag(tmp_path, monkeypatch) -> None:
    """[notice.video] text on top of --persist / --notice-duration given on the command line."""
    from labeler.cli import build_parser
    from labeler.cli.commands import _options
    from labeler.cli.config import configure

    (tmp_path / "labeler.toml").write_text('[notice.video]\ntext = "由AI合成"\n')
    monkeypatch.chdir(tmp_path)
    parser = build_parser()
    args = parser.parse_args(["label", "x.mp4", "--out", "o", "--producer", "P1", "--persist", "--notice-duration", "4"])
    configure(parser, args, ["label", "x.mp4", "--out", "o", "--producer", "P1", "--persist", "--notice-duration", "4"])
    video = _options(args).notice_for("video")
    assert (video.text, video.persist, video.duration) == ("由AI合成", True, 4.0)
