"""Derived data kept current on every save, whoever saves (the staff pages,
a restore from history, the demo loader, a shell): the search index of an
article. (The index of muscle names that become links is kept under the page
cache's generation, which the same saves drop: anatomy.rendering.)"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from . import search
from .models import Action, Article, MuscleFacts, Nerve


@receiver(post_save, sender=Article)
def article_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        search.reindex(instance)


@receiver([post_save, post_delete], sender=MuscleFacts)
def facts_changed(sender, instance, raw=False, **kwargs):
    if not raw and Article.objects.filter(pk=instance.article_id).exists():
        search.reindex(instance.article)


@receiver(m2m_changed, sender=MuscleFacts.actions.through)
@receiver(m2m_changed, sender=MuscleFacts.nerves.through)
@receiver(m2m_changed, sender=MuscleFacts.levels.through)
def facts_links_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if not action.startswith("post_"):
        return
    facts = MuscleFacts.objects.filter(pk__in=pk_set or []) if reverse else [instance]
    for each in facts:
        search.reindex(each.article)


@receiver(post_save, sender=Nerve)
@receiver(post_save, sender=Action)
def term_renamed(sender, instance, raw=False, created=False, **kwargs):
    if raw or created:
        return
    for facts in instance.muscles.select_related("article"):
        search.reindex(facts.article)
