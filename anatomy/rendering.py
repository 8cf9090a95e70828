"""Article bodies: staff Markdown turned into safe HTML.

Markdown is rendered, then cleaned by nh3, so `<script>`, event attributes and
`javascript:` links come out inert whatever staff paste. Mentions of other
muscles become links to their articles (the first mention of each), except
inside existing links and headings.
"""

import functools
import itertools
import re
import threading
import xml.etree.ElementTree as etree
from dataclasses import dataclass

import markdown
import nh3
from django.core.cache import cache
from django.urls import reverse
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
        super().__init__(r"(?!x)x")  # replaced: Markdown would compile the long pattern again, case-sensitively
        with _making_pattern:
            self.compiled_re = mention_pattern(tuple(links))
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
def mention_pattern(names):
    """One pattern for every article until a muscle is added or renamed. Made
    per article, each a slightly different one, it took about 90 ms to compile
    and re's cache kept up to 512 of them: hundreds of MB per worker. Making it
    takes about 1.5 MB for a moment (a trie of dicts took 2 MB more), and
    callers hold _making_pattern: a worker's threads rendering their first
    articles at once each made it, which left the worker up to 10 MB larger
    for good (memory freed in scattered pieces stays with the process)."""
    return re.compile(
        r"\b(" + (_alternatives(sorted(names), 0) or r"(?!x)x") + r")\b", re.IGNORECASE | re.DOTALL | re.UNICODE
    )


_making_pattern = threading.Lock()


def _alternatives(names, depth):
    """The names, sorted and sharing their first `depth` characters, as one
    regex with shared prefixes written once (a trie), so matching tries a few
    characters at each place, not a thousand names. Longer names come first:
    "gluteus medius" wins over "gluteus"."""
    ends_here = False
    branches = []
    for character, group in itertools.groupby(names, key=lambda name: name[depth : depth + 1]):
        if character:
            branches.append(re.escape(character) + _alternatives(list(group), depth + 1))
        else:
            ends_here = True  # a name ends here
    if not branches:
        return ""
    group = branches[0] if len(branches) == 1 and len(branches[0]) == 1 else "(?:" + "|".join(branches) + ")"
    return group + "?" if ends_here else group


def muscle_links():
    """{muscle name: URL} of every live muscle article, cached until one changes."""
    links = cache.get(LINK_INDEX_KEY)
    if links is None:
        from .models import MuscleFacts

        # Names and paths only: whole articles with their bodies left a worker 25 MB larger for good.
        rows = MuscleFacts.objects.filter(article__in=_live_articles()).values_list(
            "muscle_name", "article__category__path", "article__slug"
        )
        links = {name.lower(): reverse("anatomy:page", args=[f"{path}/{slug}"]) for name, path, slug in rows}
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
