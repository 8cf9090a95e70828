"""Article bodies: staff Markdown turned into safe HTML.

Markdown is rendered, then cleaned by nh3, so `<script>`, event attributes and
`javascript:` links come out inert whatever staff paste. Mentions of other
muscles become links to their articles (the first mention of each), except
inside existing links and headings.
"""

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass

import markdown
import nh3
from django.core.cache import cache
from markdown.inlinepatterns import InlineProcessor

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "em", "figcaption", "figure", "h2", "h3", "h4", "hr", "li",
    "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "abbr": {"title"}}
LINK_INDEX_KEY = "anatomy:muscle-links"


@dataclass(frozen=True)
class Rendered:
    html: str
    sections: list  # [(id, heading)] of the body's ## headings


class MuscleMention(InlineProcessor):
    ANCESTOR_EXCLUDES = ("a", "h1", "h2", "h3", "h4", "h5", "h6")

    def __init__(self, links, own_name):
        names = sorted((name for name in links if name != own_name), key=len, reverse=True)
        pattern = r"\b(" + "|".join(re.escape(name) for name in names) + r")\b" if names else r"(?!x)x"
        super().__init__(pattern)
        self.compiled_re = re.compile(pattern, re.IGNORECASE | re.DOTALL | re.UNICODE)
        self.links = links
        self.linked = set()

    def handleMatch(self, m, data):  # noqa: N802 (Markdown's API)
        name = m.group(1).lower()
        if name in self.linked:
            return None, None, None
        self.linked.add(name)
        element = etree.Element("a", {"href": self.links[name]})
        element.text = m.group(1)
        return element, m.start(0), m.end(0)


def muscle_links():
    """{muscle name: URL} of every live muscle article, cached until one changes."""
    links = cache.get(LINK_INDEX_KEY)
    if links is None:
        from .models import MuscleFacts

        rows = MuscleFacts.objects.filter(article__in=_live_articles()).select_related("article__category")
        links = {facts.muscle_name.lower(): facts.article.get_absolute_url() for facts in rows}
        cache.set(LINK_INDEX_KEY, links, 60 * 60)
    return links


def _live_articles():
    from .models import Article

    return Article.objects.live()


def forget_links():
    cache.delete(LINK_INDEX_KEY)


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
