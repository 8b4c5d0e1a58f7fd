"""Library errors name the option at fault (``LabelerError.field``); the CLI maps it to its flag."""

from __future__ import annotations

from pathlib import Path

import pytest

from labeler.c2pa.settings import settings_from
from labeler.cli import main
from labeler.errors import LabelFormatError
from labeler.notice import Notice
from labeler.roles import LabelOptions


@pytest.mark.parametrize(
    ("options", "field"),
    [
        (LabelOptions(producer=None), "producer"),
        (LabelOptions(role="propagator"), "propagator"),
        (LabelOptions(producer="豆包"), "producer"),
        (LabelOptions(producer="P1", produce_id="a b"), "produce_id"),
        (LabelOptions(producer="P1", label="7"), "label"),
        (LabelOptions(producer="P1", notice=Notice(text="hello")), "notice.text"),
        (LabelOptions(producer="P1", notice=Notice(duration=1.0)), "notice.duration"),
    ],
)
def test_label_options_errors_name_their_field(options: LabelOptions, field: str) -> None:
    with pytest.raises(LabelFormatError) as caught:
        options.validated()
    assert caught.value.field == field


def test_c2pa_settings_errors_name_their_field(tmp_path: Path) -> None:
    with pytest.raises(LabelFormatError) as caught:
        settings_from(tmp_path / "chain.pem", None)
    assert caught.value.field == "c2pa.key"
    with pytest.raises(LabelFormatError) as caught:
        settings_from(tmp_path / "chain.pem", tmp_path / "key.pem", tsa="ftp://x")
    assert caught.value.field == "c2pa.cert"  # checked before the time-stamp server


@pytest.mark.parametrize(
    ("extra", "flag"),
    [
        ([], "--producer: "),
        (["--producer", "豆包"], "--producer: "),
        (["--producer", "P1", "--produce-id", "a b"], "--produce-id: "),
        (["--producer", "P1", "--notice-duration", "1"], "--notice-duration: "),
        (["--producer", "P1", "--notice-text", "hello"], "--notice-text: "),
        (
            ["--producer", "P1", "--c2pa-cert", "chain.pem", "--c2pa-key", "key.pem", "--c2pa-alg", "es256", "--tsa", "ftp://x"],
            "--c2pa-cert: ",
        ),
    ],
)
def test_cli_maps_the_field_to_its_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], flag: str) -> None:
    source = tmp_path / "a.txt"
    source.write_text("hello\n", encoding="utf-8")
    code = main(["label", str(source), "--out", str(tmp_path / "out"), "--no-config", "--no-progress", *extra])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"labeler label: {flag}"), err
    assert not (tmp_path / "out").exists()
