"""Where categories and articles live in the URL tree, and how their old URLs
keep working: every change of slug or parent records the old path, which the
library answers with a permanent redirect."""

from django.db import transaction


@transaction.atomic
def save_category(category, save, *args, **kwargs):
    old_path = None
    if category.pk:
        old_path = type(category).objects.filter(pk=category.pk).values_list("path", flat=True).first()
    category.path = f"{category.parent.path}/{category.slug}" if category.parent_id else category.slug
    save(*args, **kwargs)
    if old_path and old_path != category.path:
        _moved(category, old_path)


def _moved(category, old_path):
    from .models import Article, Category, OldPath

    OldPath.objects.update_or_create(path=old_path, defaults={"category": category, "article": None})
    for article in Article.objects.filter(category=category):
        OldPath.objects.update_or_create(
            path=f"{old_path}/{article.slug}", defaults={"article": article, "category": None}
        )
    for child in Category.objects.filter(parent=category):
        child.save()  # recomputes its path from ours and records its own old paths
    OldPath.objects.filter(path=category.path).delete()


@transaction.atomic
def save_article(article, save, *args, **kwargs):
    from .models import Article, OldPath

    old = None
    if article.pk:
        old = Article.objects.filter(pk=article.pk).select_related("category").first()
    save(*args, **kwargs)
    if old and old.path != article.path:
        OldPath.objects.update_or_create(path=old.path, defaults={"article": article, "category": None})
    # A path in use again is no longer an old one.
    OldPath.objects.filter(path=article.path).delete()
