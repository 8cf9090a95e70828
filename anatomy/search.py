"""Searching the library: titles, summaries, teasers, muscle facts and sections.

The caller passes the articles a reader may find (today `Article.objects.live()`)
and a filter for those the reader may open in full; nothing here widens that
set. The others are locked to the reader: they are found, ranked and quoted by
their public parts only, the title, summary and teaser that their page shows
to everyone (`Article.public_text` holds the last two as plain text), never by
their muscle facts or the rest of the body, so no result, rank or count tells
a reader what a locked text says. Both kinds are ranked in one list.

On PostgreSQL each article keeps a weighted tsvector in `Article.search_vector`
(title A; muscle facts B; body C; summary and teaser D), GIN-indexed. A locked
article matches only on the words weighted A or D, its public parts, and is
ranked on them alone. D was unused before the summary moved there (it shared B
with the facts), so a vector written by an older release, before or after
migration 0005, exposes only its title to that filter, never its facts. Only
the newest RANKED matches are ranked, as a word found in most of the library
would otherwise cost a read of most of it.
On SQLite every word of the query must appear in the title, `public_text` or,
for an article the reader may open, `search_text`, and title matches come
first. Snippets are cut in Python around the first match on both, from
`public_text` only for a locked article. `reindex(article)` keeps them all up
to date: call it after an article or its muscle facts are saved.
"""

import html
import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, SearchVectorField
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Case, F, Func, Q, Value, When
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
# ts_rank's weights for D, C, B and A: summary, body, muscle facts, title. The
# summary weighs as much as the facts, as when the two shared weight B.
RANK_WEIGHTS = [0.4, 0.2, 0.4, 1.0]


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


def results_page(query, *, articles, readable=None, number=None):
    """One page of `articles` matching the query, best first, each with a
    `snippet`: safe HTML in which only the <mark> tags are markup. `readable`
    filters the articles the reader may open in full (None or an empty Q: all
    of them); the others are matched, ranked and quoted by title, summary and
    teaser only, and have `locked` set. On PostgreSQL the page's `more_than` says
    "500" when only the newest RANKED matches were ranked."""
    # When() refuses an empty Q, which is what staff, who may open everything, have.
    articles = articles.annotate(readable=Case(When(readable, then=True), default=False) if readable else Value(True))
    if connections[articles.db].vendor == "postgresql":
        ranked, more = _ranked_postgresql(query, articles)
        page = Paginator(ranked, PAGE_SIZE).get_page(number)
        rows = articles.select_related("category", "min_tier").defer("body", "search_vector").in_bulk(page.object_list)
        page.object_list = [rows[pk] for pk in page.object_list]
        page.more_than = f"{RANKED:,}" if more else ""
        marks = _stems_pattern(query.text, using=articles.db)
    else:
        found = _find_fallback(query, articles).select_related("category", "min_tier")
        page = Paginator(found, PAGE_SIZE).get_page(number)
        page.object_list = list(page.object_list)
        page.more_than = ""
        marks = _words_pattern(_terms(query.text)[0])
    for article in page.object_list:
        article.locked = not article.readable
        text = article.public_text if article.locked else f"{article.summary} {article.search_text}"
        article.snippet = _marked_html(_headline(text, marks))
    return page


def _ranked_postgresql(query, articles):
    """The ids of the matches, best first, and whether there were more than RANKED.
    Ranking reads each match's vector (kept out of line, as it is large), so
    only the newest RANKED matches are ranked, in one query that also counts
    them: the subquery picks them without ranking, and only they are ranked
    (ranking every match before the limit took half as long again)."""
    # websearch syntax: "quoted phrases", -excluded words and `or`; never a syntax error.
    words = {"value": query.text, "search_type": "websearch", "config": CONFIG}
    tsquery = SearchQuery(**words)
    found = Q(readable=True, search_vector=tsquery) | Q(readable=False, search_vector=_PublicQuery(**words))
    # One more, to know whether there were more.
    newest = articles.filter(found).order_by("-publish_at", "pk").values("pk")[: RANKED + 1]
    rows = list(
        articles.filter(pk__in=newest)
        .annotate(
            rank=Case(
                When(readable=True, then=SearchRank(F("search_vector"), tsquery, weights=RANK_WEIGHTS)),
                default=SearchRank(_PublicWords(F("search_vector")), tsquery, weights=RANK_WEIGHTS),
            )
        )
        .order_by("-publish_at", "pk")
        .values_list("pk", "rank", "title")
    )
    best = sorted(rows[:RANKED], key=lambda row: (-row[1], row[2], row[0]))
    return [pk for pk, _, _ in best], len(rows) > RANKED


class _PublicQuery(SearchQuery):
    """The query with each of its words restricted to weights A and D (title,
    summary and teaser), as in 'greater':AD <-> 'trochant':AD & !'sacrum':AD: each
    word, so that a -word or a phrase is judged by the public parts alone too
    (an excluded word found only in the body must not hide a locked article).
    The GIN index still finds the candidates; the weights are checked on them."""

    def as_sql(self, compiler, connection, **extra):
        sql, params = super().as_sql(compiler, connection, **extra)
        # PostgreSQL writes every word of a tsquery in quotes, doubling quotes within.
        return f"regexp_replace(({sql})::text, %s, %s, 'g')::tsquery", (*params, "'(?:[^']|'')*'", r"\&:AD")


class _PublicWords(Func):
    """Only the title, summary and teaser words of a search vector, to rank a locked
    article by (ts_rank counts every weight, whatever the query asks for)."""

    function = "ts_filter"
    template = "%(function)s(%(expressions)s, '{a,d}')"
    output_field = SearchVectorField()


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
    # The facts and body (search_text) only of the articles the reader may open.
    return Q(title__icontains=word) | Q(public_text__icontains=word) | Q(readable=True, search_text__icontains=word)


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
    """Refreshes the article's search texts and, on PostgreSQL, its weighted
    search vector from its title, summary, teaser, muscle facts and body."""
    from .models import Article, MuscleFacts

    facts = MuscleFacts.objects.filter(article=article).prefetch_related("actions", "nerves", "levels").first()
    fields = index_fields(
        title=article.title,
        summary=article.summary,
        teaser_text=body_text(article.teaser_text()),
        facts_text=facts_text(facts, facts.actions.all(), facts.nerves.all(), facts.levels.all()) if facts else "",
        body_text=body_text(article.body),
    )
    # update(), not save(): indexing is not an edit, so updated_at stays.
    Article.objects.filter(pk=article.pk).update(**fields)
    article.search_text = fields["search_text"]
    article.public_text = fields["public_text"]


def index_fields(*, title, summary, teaser_text, facts_text, body_text):
    """The indexed fields of an article, to update or (in bulk loads) to create it with."""
    from .models import Article

    fields = {"search_text": f"{facts_text}\n{body_text}".strip(), "public_text": public_text(summary, teaser_text)}
    if connections[Article.objects.db].vendor == "postgresql":
        # The weights keep the public parts (A, D) apart from the locked ones (B, C).
        # Migration 0006 computes the same from the stored fields: change both together.
        fields["search_vector"] = (
            SearchVector(Value(title), weight="A", config=CONFIG)
            + SearchVector(Value(facts_text), weight="B", config=CONFIG)
            + SearchVector(Value(body_text), weight="C", config=CONFIG)
            + SearchVector(Value(fields["public_text"]), weight="D", config=CONFIG)
        )
    return fields


def public_text(summary, teaser_text):
    """What a reader an article is locked to may search it by, besides its title."""
    return f"{summary} {teaser_text}".strip()


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
