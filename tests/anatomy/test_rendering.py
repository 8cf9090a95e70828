"""Muscle mentions in article bodies, without the database: anatomy.rendering."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from anatomy import rendering

LINKS = {
    "gluteus": "/g/",
    "gluteus medius": "/gmed/",
    "gluteus minimus": "/gmin/",
    "piriformis": "/pir/",
    "tensor fasciae latae": "/tfl/",
}


def links_in(html):
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', html)


def test_the_longest_name_wins_and_each_muscle_is_linked_once():
    text = "The Gluteus Minimus lies under gluteus medius; the gluteus minimus and the gluteus are near piriformis."
    html = rendering.render_markdown(text, links=LINKS).html
    assert links_in(html) == [
        ("/gmin/", "Gluteus Minimus"),
        ("/gmed/", "gluteus medius"),
        ("/g/", "gluteus"),
        ("/pir/", "piriformis"),
    ]


def test_an_article_links_neither_itself_nor_a_shorter_name_inside_its_own():
    text = "Gluteus medius abducts the hip with tensor fasciae latae. Gluteus medius again."
    html = rendering.render_markdown(text, own_muscle_name="gluteus medius", links=LINKS).html
    assert links_in(html) == [("/tfl/", "tensor fasciae latae")]


def test_names_match_whole_words_only():
    html = rendering.render_markdown("Piriformises and gluteusmedius are not names.", links=LINKS).html
    assert links_in(html) == []


def test_every_article_shares_one_finder():
    rendering.mention_finder.cache_clear()
    for own in ["gluteus medius", "piriformis", "gluteus", ""]:
        rendering.render_markdown("piriformis and gluteus", own_muscle_name=own, links=dict(LINKS))
    assert rendering.mention_finder.cache_info().misses == 1


WORDS = ["gluteus", "medius", "teres", "m", "straße", "été"]
SEPARATORS = [" ", "  ", "-", ", ", "\n", "_", "'", ""]


@settings(max_examples=500, deadline=None)
@given(
    names=st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join), min_size=1, unique=True),
    data=st.data(),
    pos=st.integers(min_value=0, max_value=20),
)
def test_the_finder_matches_what_one_pattern_of_every_name_would(names, data, pos):
    """The pattern it replaced: leftmost match, longest name there, whole words, any case."""
    pieces = st.one_of(st.sampled_from(names), st.sampled_from(WORDS))
    cased = pieces.flatmap(lambda piece: st.sampled_from([piece, piece.title(), piece.upper()]))
    text = "".join(data.draw(st.lists(st.tuples(cased, st.sampled_from(SEPARATORS)).map("".join), max_size=8)))
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    pattern = re.compile(rf"\b({alternatives})\b", re.IGNORECASE)
    expected = [match.span(1) for match in pattern.finditer(text, pos)]
    assert [match.span(1) for match in rendering.MentionFinder(names).finditer(text, pos)] == expected
