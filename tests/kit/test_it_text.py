"""kit.text: the one required-text check, with each caller's wording."""

import pytest

from kit.errors import DomainError
from kit.text import IS_AT_MOST, bounded_text, required_text


def test_it_returns_the_text_stripped():
    assert required_text("  Roll back  ", "decision") == "Roll back"


@pytest.mark.parametrize("blank", ["", "   \n", None])
def test_blank_is_refused_naming_the_field(blank):
    with pytest.raises(DomainError, match="^title is required.$") as refused:
        required_text(blank, "title")
    assert refused.value.field == "title"


def test_too_long_is_refused_in_the_default_wording():
    with pytest.raises(DomainError, match="^title must be at most 3 characters.$"):
        required_text("four", "title", max_length=3)


def test_callers_keep_their_own_wording():
    with pytest.raises(DomainError, match="^body is at most 3 characters.$"):
        required_text("four", "body", max_length=3, too_long=IS_AT_MOST)
    with pytest.raises(DomainError, match="^what_changed is required: say what changed.$"):
        required_text(" ", "what_changed", missing="{field} is required: say what changed.")


def test_bounded_text_allows_blank_but_not_too_long():
    assert bounded_text(None, "summary") == ""
    assert bounded_text(" ok ", "summary", max_length=2) == "ok"
    with pytest.raises(DomainError, match="^summary is at most 2 characters.$"):
        bounded_text("abc", "summary", max_length=2, too_long=IS_AT_MOST)
