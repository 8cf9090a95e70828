"""Small builders for library content in tests."""

from datetime import timedelta
from itertools import count

from django.utils import timezone

from anatomy.models import Action, Article, Category, MuscleFacts, Nerve, SpinalLevel

_numbers = count(1)


def category(name=None, parent=None, **fields):
    name = name or f"Category {next(_numbers)}"
    return Category.objects.create(parent=parent, name=name, slug=fields.pop("slug", None) or _slug(name), **fields)


def article(category, title=None, *, live=True, scheduled=False, **fields):
    title = title or f"Article {next(_numbers)}"
    fields.setdefault("summary", f"Summary of {title}.")
    fields.setdefault("body", f"Body of {title}.\n\n## Details of function\n\nMore about {title}.")
    status = Article.Status.PUBLISHED if live or scheduled else Article.Status.DRAFT
    publish_at = timezone.now() + timedelta(days=3) if scheduled else timezone.now() - timedelta(minutes=1)
    created = Article.objects.create(
        category=category, title=title, slug=_slug(title), status=status, publish_at=publish_at, **fields
    )
    return created


def muscle(category, name, *, actions=(), nerves=(), levels=(), **fields):
    created = article(category, name.title(), **fields)
    facts = MuscleFacts.objects.create(
        article=created, muscle_name=name, origin=f"Origin of {name}", insertion=f"Insertion of {name}"
    )
    facts.actions.set([Action.objects.get_or_create(name=a, slug=_slug(a))[0] for a in actions])
    facts.nerves.set([Nerve.objects.get_or_create(name=n, slug=_slug(n))[0] for n in nerves])
    facts.levels.set(
        [SpinalLevel.objects.get_or_create(code=code, defaults={"order": _level_order(code)})[0] for code in levels]
    )
    return created


def _level_order(code):
    offsets = {"C": 0, "T": 8, "L": 20, "S": 25}
    return offsets[code[0]] + int(code[1:])


def _slug(text):
    from django.utils.text import slugify

    return slugify(text)
