"""Article bodies: staff Markdown turned into safe HTML.

Markdown is rendered, then cleaned by nh3, so `<script>`, event attributes and
`javascript:` links come out inert whatever staff paste. Mentions of other
muscles become links to their articles (the first mention of each), except
inside existing links and headings.
"""

import functools
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass

import markdown
import nh3
from django.conf import settings
from django.urls import reverse
from markdown.inlinepatterns import InlineProcessor

from page_cache import generation

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "em", "figcaption", "figure", "h2", "h3", "h4", "hr", "li",
    "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "abbr": {"title"}}


@dataclass(frozen=True)
class Rendered:
    html: str
    sections: list  # [(id, heading)] of the body's ## headings


class MuscleMention(InlineProcessor):
    ANCESTOR_EXCLUDES = ("a", "h1", "h2", "h3", "h4", "h5", "h6")

    def __init__(self, links, own_name):
        super().__init__(r"(?!x)x")  # replaced: Markdown only calls its finditer()
        self.compiled_re = mention_finder(tuple(links))
        self.links = links
        self.linked = {own_name}  # an article does not link to itself

    def handleMatch(self, m, data):  # noqa: N802 (Markdown's API)
        name = m.group(1).lower()
        if name in self.linked:
            return None, None, None
        self.linked.add(name)
        element = etree.Element("a", {"href": self.links[name]})
        element.text = m.group(1)
        return element, m.start(0), m.end(0)


@functools.lru_cache(maxsize=1)
def mention_finder(names):
    """One finder for every article until a muscle is added or renamed."""
    return MentionFinder(names)


class MentionFinder:
    """Finds muscle names in text as the pattern `\\b(name|name…)\\b` would
    (ignoring case, the leftmost match, the longest name there), with a
    dictionary of names by their first word instead of that pattern: with a
    thousand names, compiling it took 90 ms and 1.5 MB at its peak, which a
    worker's memory kept partly for good."""

    def __init__(self, names):
        self.by_first_word = {}
        for name in sorted(names, key=len, reverse=True):
            if first := WORD.match(name):
                self.by_first_word.setdefault(first.group(), []).append(name)

    def finditer(self, text, pos=0):
        while (match := self.search(text, pos)) is not None:
            yield match
            pos = match.end()

    def search(self, text, pos=0):
        for word in WORD_AT_BOUNDARY.finditer(text, pos):
            start = word.start()
            for name in self.by_first_word.get(word.group().lower(), ()):
                end = start + len(name)
                if text[start:end].lower() == name and _boundary(text, end):
                    return WHOLE.match(text, start, end)
        return None


WORD = re.compile(r"\w+")
WORD_AT_BOUNDARY = re.compile(r"\b\w+")
WHOLE = re.compile(r"(.+)", re.DOTALL)


def _boundary(text, index):
    """Whether `\\b` matches at index: a word character on one side only."""
    before = index > 0 and WORD.match(text, index - 1, index) is not None
    after = index < len(text) and WORD.match(text, index, index + 1) is not None
    return before != after


def muscle_links():
    """{muscle name: URL} of every live muscle article, kept under the page
    cache's generation, as the bodies it links are: any change to public
    content, and the next scheduled article going live, make a new one, in
    every process that shares the generation."""
    key = f"muscle-links:{generation.current()}"
    links = generation.cache().get(key)
    if links is None:
        from .models import MuscleFacts

        # Names and paths only: whole articles with their bodies left a worker 25 MB larger for good.
        rows = MuscleFacts.objects.filter(article__in=_live_articles()).values_list(
            "muscle_name", "article__category__path", "article__slug"
        )
        links = {name.lower(): reverse("anatomy:page", args=[f"{path}/{slug}"]) for name, path, slug in rows}
        generation.cache().set(key, links, settings.PAGE_CACHE_SECONDS)
    return links


def _live_articles():
    from .models import Article

    return Article.objects.live()


def render_markdown(text, *, own_muscle_name=None, links=None):
    md = markdown.Markdown(extensions=["toc", "tables", "sane_lists"], extension_configs={"toc": {"toc_depth": "2"}})
    if links:
        md.inlinePatterns.register(MuscleMention(links, (own_muscle_name or "").lower()), "muscle_mention", 65)
    html = md.convert(text)
    sections = [(token["id"], token["name"]) for token in md.toc_tokens]
    return Rendered(html=clean(html), sections=sections)


def clean(html):
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener",
    )


def render_article(article):
    """The article's body as safe HTML with its sections (pages cache it: anatomy.fragments)."""
    facts = facts_of(article)
    return render_markdown(article.body, own_muscle_name=facts.muscle_name if facts else None, links=muscle_links())


def render_teaser(article):
    """The teaser of a locked article as safe HTML (empty if it has none)."""
    facts = facts_of(article)
    return render_markdown(
        article.teaser_text(), own_muscle_name=facts.muscle_name if facts else None, links=muscle_links()
    )


def facts_of(article):
    from .models import MuscleFacts

    try:
        return article.facts
    except MuscleFacts.DoesNotExist:
        return None
