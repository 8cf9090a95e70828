"""Muscle mentions in article bodies, without the database: anatomy.rendering."""

import re

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


def test_every_article_shares_one_compiled_pattern():
    # One per article kept hundreds of large patterns in each worker (re's cache holds 512).
    rendering.mention_pattern.cache_clear()
    for own in ["gluteus medius", "piriformis", "gluteus", ""]:
        rendering.render_markdown("piriformis and gluteus", own_muscle_name=own, links=dict(LINKS))
    assert rendering.mention_pattern.cache_info().misses == 1
