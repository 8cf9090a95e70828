"""Searching the library: titles, summaries, muscle facts and sections.

On PostgreSQL each article keeps a weighted tsvector (title A; summary and
muscle facts B; body C) in `Article.search_vector`, GIN-indexed, and results
are ranked with highlighted snippets from `ts_headline`. On SQLite every word
of the query must appear in the title, summary or `search_text`, and title
matches come first. `reindex(article)` keeps both up to date: call it after
an article or its muscle facts are saved.

What may appear is decided by the caller, which passes the articles a reader
may see (today `Article.objects.live()`); nothing here widens that set.
"""

import html
import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Case, F, Q, TextField, Value, When
from django.db.models.functions import Concat
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
    `snippet`: safe HTML in which only the <mark> tags are markup."""
    on_postgresql = connections[articles.db].vendor == "postgresql"
    found = _find_postgresql(query, articles) if on_postgresql else _find_fallback(query, articles)
    page = Paginator(found.select_related("category"), PAGE_SIZE).get_page(number)
    page.object_list = list(page.object_list)
    words = _terms(query.text)[0]
    for article in page.object_list:
        if not on_postgresql:
            article.headline = _headline(f"{article.summary} {article.search_text}", words)
        article.snippet = _marked_html(article.headline)
    return page


def _find_postgresql(query, articles):
    # websearch syntax: "quoted phrases", -excluded words and `or`; never a syntax error.
    tsquery = SearchQuery(query.text, search_type="websearch", config=CONFIG)
    return (
        articles.filter(search_vector=tsquery)
        .defer("body", "search_text", "search_vector")
        .annotate(
            rank=SearchRank(F("search_vector"), tsquery),
            headline=SearchHeadline(
                Concat("summary", Value(" "), "search_text", output_field=TextField()),
                tsquery,
                config=CONFIG,
                start_sel=START,
                stop_sel=STOP,
                max_words=35,
                min_words=15,
                max_fragments=2,
                fragment_delimiter=" … ",
            ),
        )
        .order_by("-rank", "title", "pk")
    )


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


def _headline(text, words):
    """What ts_headline gives on PostgreSQL: the text around the first match,
    with sentinels around every match."""
    pattern = re.compile("|".join(re.escape(word) for word in words) or r"(?!x)x", re.IGNORECASE)
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
    facts_text = _facts_text(facts) if facts else ""
    body_text = _plain(html.unescape(strip_tags(rendering.render_markdown(article.body).html)))
    search_text = f"{facts_text}\n{body_text}".strip()
    fields = {"search_text": search_text}
    if connections[Article.objects.db].vendor == "postgresql":
        fields["search_vector"] = (
            SearchVector("title", weight="A", config=CONFIG)
            + SearchVector("summary", Value(facts_text), weight="B", config=CONFIG)
            + SearchVector(Value(body_text), weight="C", config=CONFIG)
        )
    # update(), not save(): indexing is not an edit, so updated_at stays.
    Article.objects.filter(pk=article.pk).update(**fields)
    article.search_text = search_text


def _facts_text(facts):
    # Labelled like the quick-reference box, so snippets read as sentences.
    actions = ", ".join(action.name for action in facts.actions.all())
    nerves = ", ".join(nerve.name for nerve in facts.nerves.all())
    levels = ", ".join(level.code for level in facts.levels.all())
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
