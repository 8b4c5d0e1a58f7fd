"""Policies and waivers are inputs to verify.py's decision: profiles, strict rules, waivers, --fail-on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from labeler.cli.gate import parse_fail_on
from labeler.errors import LabelFormatError
from labeler.policy import PROFILES, Policy, Waiver, get_policy, waivers_from
from labeler.verify import STATUSES, gate_failures, verify_file

from .conftest import FIXTURES

CASES = FIXTURES / "cases" / "text"


def test_profiles_exist_and_default_is_gb45438() -> None:
    assert set(PROFILES) == {"gb45438", "strict", "report-only"}
    assert get_policy(None).name == "gb45438" and get_policy("strict").structured_provider
    with pytest.raises(LabelFormatError, match="unknown policy"):
        get_policy("lenient")


def test_default_policy_keeps_foundation_statuses() -> None:
    verdict = verify_file(CASES / "labelled-compliant.md")
    assert verdict.status == "compliant" and verdict.passed
    assert verify_file(CASES / "label-chinese-producer.md").status == "invalid"


def test_strict_requires_a_structured_provider_code(tmp_path: Path) -> None:
    name_only = tmp_path / "name.md"
    text = (CASES / "labelled-compliant.md").read_text(encoding="utf-8")
    name_only.write_text(text.replace("001191110102MACQD9K64010000", "ExampleAI"), encoding="utf-8")
    assert verify_file(name_only).status == "compliant"
    strict = verify_file(name_only, "strict")
    assert strict.status == "invalid" and not strict.passed
    assert any(p.rule == "provider.not-a-code" and p.is_error for p in strict.problems())
    assert verify_file(CASES / "labelled-compliant.md", "strict").status == "compliant"  # a real code passes


def test_strict_audio_needs_cues_at_both_ends() -> None:
    strict = get_policy("strict")
    cue = {"cue": "morse", "start_s": 0.0, "end_s": 1.0}
    assert strict.extra_explicit("audio", True, {"start": cue, "end": cue}) == []
    (only_start,) = strict.extra_explicit("audio", True, {"start": cue})
    assert only_start.rule == "notice.not-both-ends" and "end" in only_start.message and only_start.is_error
    (no_detail,) = strict.extra_explicit("audio", True, {})  # missing detail is not satisfied
    assert "start and end" in no_detail.message
    assert get_policy("gb45438").extra_explicit("audio", True, {}) == []
    assert strict.extra_explicit("image", True, {}) == []


def test_waiver_downgrades_one_rule_and_is_reported(tmp_path: Path) -> None:
    waiver = Waiver("label.forbidden-char", "legacy asset approved by legal", ("cases/label-chinese-*.md",))
    target = tmp_path / "cases" / "label-chinese-producer.md"
    target.parent.mkdir()
    shutil.copyfile(CASES / "label-chinese-producer.md", target)
    policy = get_policy("gb45438").with_waivers([waiver], root=tmp_path)
    verdict = verify_file(target, policy)
    assert verdict.status == "compliant" and verdict.passed and verdict.waivers == (waiver,)
    waived = [p for p in verdict.problems() if p.rule == "label.forbidden-char"]
    assert waived and not waived[0].is_error and "[waived: legacy asset approved by legal]" in waived[0].message
    other = tmp_path / "elsewhere.md"
    shutil.copyfile(CASES / "label-chinese-producer.md", other)
    assert verify_file(other, policy).status == "invalid"  # the waiver's paths do not cover it


def test_waiving_a_missing_label_passes_without_changing_the_status(tmp_path: Path) -> None:
    target = tmp_path / "raw.txt"
    target.write_text("plain export the user asked to receive without a notice\n", encoding="utf-8")
    policy = Policy().with_waivers([Waiver("explicit.missing", "user opted out; logged per Measures Art. 9")], root=tmp_path)
    verdict = verify_file(target, policy)
    assert verdict.status == "unlabelled" and not verdict.passed  # the implicit label is never waived by this
    (tmp_path / "raw.txt.aigc.json").write_text(
        '{"Label":"1","ContentProducer":"001191110102MACQD9K64010000","ProduceID":"x","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}'
    )
    verdict = verify_file(target, policy)
    assert verdict.status == "missing-explicit" and verdict.passed and verdict.to_dict()["passed"] is True


def test_waiver_needs_a_reason() -> None:
    with pytest.raises(LabelFormatError, match="no reason"):
        Waiver("notice.too-small", "  ")
    with pytest.raises(LabelFormatError, match="no reason"):
        waivers_from([{"rule": "notice.too-small"}], "labeler.toml")
    with pytest.raises(LabelFormatError, match="unknown key"):
        waivers_from([{"rule": "notice.too-small", "reason": "x", "path": "a"}], "labeler.toml")


def test_a_waiver_naming_a_renamed_rule_keeps_working_under_the_new_id() -> None:
    assert Waiver("notice.not-at-edge", "banner sits in the brand strip").rule == "notice.placement"


def test_report_only_never_fails_and_fail_on_threshold() -> None:
    verdicts = [verify_file(p) for p in sorted(CASES.iterdir())]
    statuses = {v.status for v in verdicts}
    assert {"invalid", "unlabelled"} <= statuses
    assert gate_failures(verdicts, "report-only") == []
    everything = gate_failures(verdicts, "gb45438")
    assert {v.status for v in everything} == statuses - {"compliant"}
    only_invalid = gate_failures(verdicts, "gb45438", parse_fail_on("invalid"))
    assert only_invalid and {v.status for v in only_invalid} == {"invalid"}
    assert parse_fail_on("any") == set(STATUSES) and parse_fail_on("invalid, error") == {"invalid", "error"}
    with pytest.raises(Exception, match="not a status"):
        parse_fail_on("broken")


def test_strict_audio_end_to_end_with_cue_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """[cue] position = "both" from labeler.toml reaches the audio adapter; strict then passes, a start-only cue does not."""
    import json

    from labeler.cli import main

    from .conftest import PRODUCER

    sample = FIXTURES / "samples" / "audio" / "wav-pcm16-mono-8k.wav"
    if not sample.is_file():
        pytest.skip("no audio sample fixture")
    shutil.copyfile(sample, tmp_path / "jingle.wav")
    (tmp_path / "labeler.toml").write_text(f'producer = "{PRODUCER}"\n[cue]\nposition = "both"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    def strict(folder: str, *extra: str) -> dict:
        main(["verify", folder, "--policy", "strict", "--format", "json", "--no-progress", "--jobs", "1", *extra])
        return json.loads(capsys.readouterr().out)["files"][0]

    assert main(["label", "jingle.wav", "--out", "both", "--no-progress", "--jobs", "1"]) == 0
    assert main(["label", "jingle.wav", "--out", "start", "--no-progress", "--jobs", "1", "--no-config", "--producer", PRODUCER]) == 0
    capsys.readouterr()
    both = strict("both")
    assert both["status"] == "compliant" and both["explicit"]["detail"].keys() >= {"start", "end"}
    start = strict("start", "--no-config")
    assert start["status"] == "invalid" and start["explicit"]["problems"][0].startswith("notice.not-both-ends")


def test_waiving_unverified_accepts_only_an_unchecked_notice(tmp_path: Path) -> None:
    from labeler.report import checks_of

    policy = Policy().with_waivers(
        [Waiver("explicit.unverified", "OCR backend not installed on this runner; checked in the nightly job")], root=tmp_path
    )
    assert policy.passing_for(tmp_path / "a.png") == {"compliant", "unverified"}
    target = tmp_path / "raw.txt"
    target.write_text("正文。\n", encoding="utf-8")
    (tmp_path / "raw.txt.aigc.json").write_text(
        '{"Label":"1","ContentProducer":"001191110102MACQD9K64010000","ProduceID":"x","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}'
    )
    verdict = verify_file(target, policy)
    assert verdict.status == "missing-explicit" and not verdict.passed  # absent is not "could not check"
    assert [o.result for o in checks_of(verdict)] == ["fail", "pass"]
    accepted = verify_file(target, Policy().with_waivers([Waiver("explicit.missing", "user opted out")], root=tmp_path))
    assert [o.result for o in checks_of(accepted)] == ["waived", "pass"]
