"""Muscle mentions in article bodies, without the database: anatomy.rendering."""

import re
import threading
import time

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


def test_threads_rendering_at_once_make_the_pattern_once(monkeypatch):
    # Each making it at once left a worker about 10 MB larger (see mention_pattern).
    rendering.mention_pattern.cache_clear()
    alternatives = rendering._alternatives

    def slow(names, depth):
        time.sleep(0.2 if depth == 0 else 0)  # long enough for every thread to ask
        return alternatives(names, depth)

    monkeypatch.setattr(rendering, "_alternatives", slow)
    threads = [
        threading.Thread(target=rendering.render_markdown, args=("gluteus",), kwargs={"links": LINKS}) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert rendering.mention_pattern.cache_info().misses == 1
