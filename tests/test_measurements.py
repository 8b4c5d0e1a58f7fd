"""Evidence measurements are read in one place (``model.Measurements``), typed, for every layer."""

from __future__ import annotations

from labeler.model import Evidence, Measurements, NoticeBox, Presence


def test_top_level_and_per_position_measurements() -> None:
    detail = {
        "position": "bottom-right",
        "height_ratio": 0.061,
        "box": [250, 200, 310, 230],
        "frame": [320, 240],
        "start_s": 0.0,
        "end_s": 3.0,
    }
    measured = Evidence(Presence.PRESENT, "notice", detail=detail).measured
    assert measured.height_ratio == 0.061
    assert measured.boxes == (NoticeBox((250.0, 200.0, 310.0, 230.0), (320.0, 240.0)),)
    assert measured.spans == ((0.0, 3.0),) and measured.sides == frozenset()
    both = Measurements.of({"top": {"height_ratio": 0.07, "box": [0, 0, 5, 5]}, "bottom": {"height_ratio": 0.052}})
    assert both.height_ratio == 0.052 and both.boxes == (NoticeBox((0.0, 0.0, 5.0, 5.0)),)


def test_audio_sides_and_instants() -> None:
    cue = {"start": 0.25, "kind": "morse"}
    measured = Measurements.of({"start": cue})
    assert measured.sides == {"start"} and measured.spans == ((0.25, 0.75),)  # an instant shades half a second


def test_what_is_not_a_measurement_is_ignored() -> None:
    junk = Measurements.of({"height_ratio": True, "box": [1, 2, 3], "frame": ["a", "b"], "start_s": "0", "end": "late"})
    assert junk == Measurements()
