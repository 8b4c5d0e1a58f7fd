"""Labelling actions are typed: code decides with ``Action.step``, reports keep the sentence."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import labeler
from labeler.labelling import label_file
from labeler.model import Action, Step

PRODUCER = "001191110102MACQD9K64010000"


def test_steps_decide_and_the_text_is_unchanged(tmp_path: Path) -> None:
    source = tmp_path / "post.md"
    source.write_text("# Title\n\nBody text.\n", encoding="utf-8")
    first = label_file(source, tmp_path / "out.md", labeler.LabelOptions(producer=PRODUCER))
    assert first.status == "labelled"
    assert [a.step for a in first.actions] == [Step.WRITE_IMPLICIT, Step.ADD_NOTICE]
    assert all(a.writes for a in first.actions)
    assert first.actions[0].startswith("write implicit label to ")  # the sentence reports show
    assert json.loads(json.dumps(first.to_dict()))["actions"] == [str(a) for a in first.actions]
    again = label_file(tmp_path / "out.md", tmp_path / "again.md", labeler.LabelOptions(producer=PRODUCER))
    assert again.status == "unchanged"
    assert [a.step for a in again.actions] == [Step.KEEP_IMPLICIT, Step.KEEP_NOTICE]
    assert not any(a.writes for a in again.actions)


def test_actions_survive_the_trip_to_and_from_workers() -> None:
    action = Action(Step.SIGN, "sign C2PA manifest embedded (image/png) with es256")
    back = pickle.loads(pickle.dumps(action))
    assert back == action and back.step is Step.SIGN and back.writes
