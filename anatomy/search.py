"""Searching the library: titles, summaries, muscle facts and sections.

On PostgreSQL each article keeps a weighted tsvector (title A; summary and
muscle facts B; body C) in `Article.search_vector`, GIN-indexed, and results
are ranked; only the newest RANKED matches are, as a word found in most of
the library would otherwise cost a read of most of it. On SQLite every word of the query must appear in the
title, summary or `search_text`, and title matches come first. Snippets are
cut in Python around the first match on both. `reindex(article)` keeps both up to date: call it after
an article or its muscle facts are saved.

What may appear is decided by the caller, which passes the articles a reader
may see (today `Article.objects.live()`); nothing here widens that set.
"""

import html
import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Case, F, Q, Value, When
from django.utils.html import escape, strip_tags
from django.utils.safestring import mark_safe

from . import rendering

CONFIG = "english"
MAX_LENGTH = 200
PAGE_SIZE = 20
EXAMPLES = ["superior gluteal", "abduction", "greater trochanter"]
# Highlighting marks the matches with these, so the text can be escaped before
# the marks become <mark> tags (reindex() strips them from the indexed text).
START, STOP = "\x02", "\x03"
SNIPPET_CHARS = 240
# On PostgreSQL: the most matches ranked and listed ("more than 500 match").
RANKED = 500


@dataclass(frozen=True)
class Query:
    text: str
    problem: str = ""  # "empty", "no_words" or "too_long" when it cannot be searched


def parse(raw):
    text = " ".join(raw.split())
    if not text:
        return Query(text, "empty")
    if len(text) > MAX_LENGTH:
        return Query(text, "too_long")
    if not re.search(r"[^\W_]", text):
        return Query(text, "no_words")
    return Query(text)


def results_page(query, *, articles, number=None):
    """One page of `articles` matching the query, best first, each with a
    `snippet`: safe HTML in which only the <mark> tags are markup. On
    PostgreSQL the page's `more_than` says "500" when only the newest
    RANKED matches were ranked."""
    if connections[articles.db].vendor == "postgresql":
        ranked, more = _ranked_postgresql(query, articles)
        page = Paginator(ranked, PAGE_SIZE).get_page(number)
        rows = articles.select_related("category").defer("body", "search_vector").in_bulk(page.object_list)
        page.object_list = [rows[pk] for pk in page.object_list]
        page.more_than = f"{RANKED:,}" if more else ""
        marks = _stems_pattern(query.text, using=articles.db)
    else:
        page = Paginator(_find_fallback(query, articles).select_related("category"), PAGE_SIZE).get_page(number)
        page.object_list = list(page.object_list)
        page.more_than = ""
        marks = _words_pattern(_terms(query.text)[0])
    for article in page.object_list:
        article.snippet = _marked_html(_headline(f"{article.summary} {article.search_text}", marks))
    return page


def _ranked_postgresql(query, articles):
    """The ids of the matches, best first, and whether there were more than RANKED.
    Ranking reads each match's vector (kept out of line, as it is large), so
    only the newest RANKED matches are ranked, in one query that also counts them."""
    # websearch syntax: "quoted phrases", -excluded words and `or`; never a syntax error.
    tsquery = SearchQuery(query.text, search_type="websearch", config=CONFIG)
    newest = (
        articles.filter(search_vector=tsquery)
        .annotate(rank=SearchRank(F("search_vector"), tsquery))
        .order_by("-publish_at", "pk")
        .values_list("pk", "rank", "title")
    )
    rows = list(newest[: RANKED + 1])  # one more, to know whether there were more
    best = sorted(rows[:RANKED], key=lambda row: (-row[1], row[2], row[0]))
    return [pk for pk, _, _ in best], len(rows) > RANKED


def _find_fallback(query, articles):
    words, excluded = _terms(query.text)
    for word in words:
        articles = articles.filter(_contains(word))
    for word in excluded:
        articles = articles.exclude(_contains(word))
    title_hits = sum((Case(When(title__icontains=word, then=1), default=0) for word in words), Value(0))
    return (
        articles.defer("body", "search_vector").annotate(title_hits=title_hits).order_by("-title_hits", "title", "pk")
    )


def _contains(word):
    return Q(title__icontains=word) | Q(summary__icontains=word) | Q(search_text__icontains=word)


def _terms(text):
    """The words (or "quoted phrases") to find and the -words to exclude."""
    words, excluded = [], []
    for minus, phrase, word in re.findall(r'(-?)(?:"([^"]+)"|(\S+))', text):
        parts = re.findall(r"[^\W_]+", phrase or word)
        if phrase and parts:
            parts = [" ".join(parts)]
        (excluded if minus else words).extend(parts)
    return words, excluded


def _words_pattern(words):
    """Marks the query's words wherever they appear, as the SQLite search finds them."""
    return re.compile("|".join(re.escape(word) for word in words) or r"(?!x)x", re.IGNORECASE)


def _stems_pattern(text, *, using):
    """Marks whole words that begin with a stem of the query's words, close to
    what PostgreSQL matched (ts_headline would read every snippet's whole text
    again, which costs more than the search)."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT unnest(tsvector_to_array(to_tsvector(%s::regconfig, %s)))", [CONFIG, text])
        stems = [row[0] for row in cursor.fetchall()]
    return re.compile(r"\b(?:" + "|".join(re.escape(stem) for stem in stems) + r")\w*" if stems else r"(?!x)x", re.I)


def _headline(text, pattern):
    """The text around the first match, with sentinels around every match."""
    first = pattern.search(text)
    start = 0
    if first and first.start() > SNIPPET_CHARS // 3:
        start = text.rfind(" ", 0, first.start() - SNIPPET_CHARS // 3) + 1
    end = text.find(" ", start + SNIPPET_CHARS)
    window = text[start : end if end != -1 else len(text)]
    marked = pattern.sub(lambda match: f"{START}{match.group(0)}{STOP}", window)
    return ("… " if start else "") + marked + (" …" if end != -1 else "")


def _marked_html(headline):
    return mark_safe(escape(headline).replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S308


def reindex(article):
    """Refreshes the article's search text and, on PostgreSQL, its weighted
    search vector from its title, summary, muscle facts and body."""
    from .models import Article, MuscleFacts

    facts = MuscleFacts.objects.filter(article=article).prefetch_related("actions", "nerves", "levels").first()
    fields = index_fields(
        title=article.title,
        summary=article.summary,
        facts_text=facts_text(facts, facts.actions.all(), facts.nerves.all(), facts.levels.all()) if facts else "",
        body_text=body_text(article.body),
    )
    # update(), not save(): indexing is not an edit, so updated_at stays.
    Article.objects.filter(pk=article.pk).update(**fields)
    article.search_text = fields["search_text"]


def index_fields(*, title, summary, facts_text, body_text):
    """The indexed fields of an article, to update or (in bulk loads) to create it with."""
    from .models import Article

    fields = {"search_text": f"{facts_text}\n{body_text}".strip()}
    if connections[Article.objects.db].vendor == "postgresql":
        fields["search_vector"] = (
            SearchVector(Value(title), weight="A", config=CONFIG)
            + SearchVector(Value(summary), Value(facts_text), weight="B", config=CONFIG)
            + SearchVector(Value(body_text), weight="C", config=CONFIG)
        )
    return fields


def body_text(markdown_text):
    """The words of a Markdown body as they are indexed."""
    return _plain(html.unescape(strip_tags(rendering.render_markdown(markdown_text).html)))


def facts_text(facts, actions, nerves, levels):
    """The words of muscle facts as they are indexed (actions and nerves by
    name, levels down the spine, as their models order them)."""
    # Labelled like the quick-reference box, so snippets read as sentences.
    actions = ", ".join(action.name for action in actions)
    nerves = ", ".join(nerve.name for nerve in nerves)
    levels = ", ".join(level.code for level in levels)
    parts = [
        f"{facts.muscle_name.capitalize()}.",
        f"Origin: {facts.origin}",
        f"Insertion: {facts.insertion}",
        f"Action: {actions}." if actions else "",
        facts.action_notes,
        f"Innervation: {nerves}." if nerves else "",
        f"Spinal levels: {levels}." if levels else "",
    ]
    return _plain(" ".join(parts))


def _plain(text):
    return " ".join(text.replace(START, "").replace(STOP, "").split())
