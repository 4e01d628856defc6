"""What a preview flags in a subject: its width against what phones (~40) and desktops (~60) show,
a Chinese character counting two."""

from __future__ import annotations

from winback_dev.message_checks import display_width, subject_fit


def test_a_wide_character_counts_two() -> None:
    assert display_width("Hi") == 2
    assert display_width("最近还好吗？") == 12  # the fullwidth question mark too


def test_subjects_past_what_inboxes_show_are_flagged() -> None:
    assert subject_fit("x" * 40).warning() is None
    assert subject_fit("x" * 41).over_mobile and not subject_fit("x" * 41).over_desktop
    assert subject_fit("x" * 61).over_desktop
    assert subject_fit("好" * 21).over_mobile  # 21 Chinese characters fill 42 columns
    assert "desktop" in (subject_fit("x" * 61).warning() or "")
