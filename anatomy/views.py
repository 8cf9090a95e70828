from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from members import access

from . import questions, rendering, seo
from . import search as library_search  # the module; `search` here is the view
from .forms import QuestionForm
from .models import (
    Action,
    Article,
    Category,
    Illustration,
    MuscleFacts,
    Nerve,
    OldPath,
    SiteNotice,
    SpinalLevel,
)

PAGE_SIZE = 50
NOTICE_COOKIE = "dismissed_notice"


def home(request):
    # Lists here, on category and browse pages show locked articles too: their
    # title and summary are public, and their page shows the teaser and the way in.
    live = Article.objects.live().select_related("category")
    return render(
        request,
        "anatomy/home.html",
        {
            "featured": live.filter(is_featured=True).order_by("-publish_at").first(),
            "latest": live.order_by("-publish_at")[:6],
            "updated": live.order_by("-updated_at")[:6],
            "top_categories": Category.objects.filter(parent=None),
        },
    )


def page(request, path):
    """Every library URL: a category, an article in it, or an old address."""
    category = Category.objects.filter(path=path).first()
    if category:
        return category_page(request, category)
    category_path, _, slug = path.rpartition("/")
    article = (
        Article.objects.live()
        .select_related("category", "author", "facts", "min_tier")
        .filter(category__path=category_path, slug=slug)
        .first()
    )
    if article:
        return article_page(request, article)
    old = OldPath.objects.filter(path=path).select_related("article__category", "category").first()
    if old and (old.category or old.article.is_live()):
        return HttpResponseRedirect(old.target().get_absolute_url(), status=301)
    if path == "anatomy":  # the library's front page, before any category exists
        return category_page(request, None)
    raise Http404("No such page in the library.")


def category_page(request, category):
    children = Category.objects.filter(parent=category)
    articles = Article.objects.live().filter(category=category).select_related("category") if category else []
    return render(
        request,
        "anatomy/category.html",
        {
            "category": category,
            "breadcrumb": breadcrumb_for(category) if category else [],
            "children": children,
            "page_obj": Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page")),
        },
    )


def article_page(request, article, *, form=None, preview=False):
    """The article, or for a reader it is locked to: its summary, teaser and
    the way in. The body, its sections, the muscle facts and the illustrations
    are the locked content and never reach that reader."""
    unlocked = access.can_view(request.user, article)
    facts = rendering.facts_of(article) if unlocked else None
    if facts:
        facts = (
            MuscleFacts.objects.filter(pk=facts.pk)
            .prefetch_related("actions", "nerves", Prefetch("levels", queryset=SpinalLevel.objects.order_by("order")))
            .get()
        )
    body = rendering.render_article(article) if unlocked else None
    return render(
        request,
        "anatomy/article.html",
        {
            "article": article,
            "unlocked": unlocked,
            "facts": facts,
            "body": body,
            "teaser": None if unlocked else rendering.render_teaser(article),
            "standing": access.standing(request.user),
            "breadcrumb": breadcrumb_for(article.category) + [article],
            "illustrations": Illustration.objects.filter(article=article) if unlocked else [],
            # Titles link to locked muscles too: their pages show the teaser and the way in.
            "related": related_muscles(facts) if facts else [],
            "featured": Article.objects.live()
            .filter(is_featured=True)
            .exclude(pk=article.pk)
            .order_by("-publish_at")
            .select_related("category")
            .first(),
            "form": form or QuestionForm(sections=body.sections if body else []),
            "preview": preview,
            "article_data": seo.article_data(article),
        },
        status=400 if form is not None else 200,
    )


def breadcrumb_for(category):
    """The category's ancestors and itself, root first, in one query."""
    trail = list(Category.objects.filter(path__in=[*category.ancestor_paths(), category.path]))
    return sorted(trail, key=lambda node: node.path.count("/"))


def related_muscles(facts, limit=12):
    """Live muscles that share an action or a nerve with this one."""
    return (
        (
            MuscleFacts.objects.filter(article__in=Article.objects.live()).filter(actions__in=facts.actions.all())
            | MuscleFacts.objects.filter(article__in=Article.objects.live(), nerves__in=facts.nerves.all())
        )
        .exclude(pk=facts.pk)
        .distinct()
        .select_related("article__category")
        .order_by("muscle_name")[:limit]
    )


@staff_member_required
def preview(request, pk):
    """An unpublished article exactly as readers will see it."""
    article = get_object_or_404(Article.objects.select_related("category", "author", "min_tier"), pk=pk)
    return article_page(request, article, preview=True)


def study_card(request, path):
    category_path, _, slug = path.rpartition("/")
    article = get_object_or_404(
        Article.objects.live().select_related("category", "facts", "min_tier"), category__path=category_path, slug=slug
    )
    facts = rendering.facts_of(article)
    if not facts or not access.can_view(request.user, article):
        raise Http404("Only muscle articles that you may read have a study card.")
    return render(request, "anatomy/study_card.html", {"article": article, "facts": facts})


def _browse(request, heading, facts_filter, intro):
    muscles = (
        MuscleFacts.objects.filter(article__in=Article.objects.live(), **facts_filter)
        .select_related("article__category")
        .order_by("muscle_name")
    )
    return render(
        request,
        "anatomy/browse.html",
        {
            "heading": heading,
            "intro": intro,
            "page_obj": Paginator(muscles, PAGE_SIZE).get_page(request.GET.get("page")),
        },
    )


def nerve(request, slug):
    nerve = get_object_or_404(Nerve, slug=slug)
    return _browse(request, f"Muscles supplied by the {nerve.name}", {"nerves": nerve}, "")


def level(request, code):
    level = get_object_or_404(SpinalLevel, code__iexact=code)
    return _browse(
        request,
        f"Muscles innervated from {level.code}",
        {"levels": level},
        "Spinal levels of their nerve supply.",
    )


def action(request, slug):
    action = get_object_or_404(Action, slug=slug)
    return _browse(request, f"Muscles for {action.name}", {"actions": action}, "")


@require_POST
@ratelimit(key="ip", rate="5/m", method="POST", block=False)
def ask(request, pk):
    article = get_object_or_404(Article.objects.live().select_related("category", "author", "min_tier"), pk=pk)
    sections = rendering.render_article(article).sections if access.can_view(request.user, article) else []
    form = QuestionForm(request.POST, sections=sections)
    if getattr(request, "limited", False):
        form.add_error(None, "You have sent several messages in a short time. Please wait a minute and try again.")
        return article_page(request, article, form=form)
    if not form.is_valid():
        return article_page(request, article, form=form)
    questions.receive(form=form, article=article)
    messages.success(request, "Thank you! Your message has reached the author.")
    # To the top of the page, where the thank-you shows.
    return redirect(article.get_absolute_url())


@require_POST
def dismiss_notice(request):
    next_url = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    response = redirect(next_url if safe else "/")
    notice = SiteNotice.current()
    if notice:
        response.set_cookie(NOTICE_COOKIE, str(notice.pk), max_age=60 * 60 * 24 * 365, samesite="Lax")
    return response


def search(request):
    query = library_search.parse(request.GET.get("q", ""))
    page_obj = None
    if not query.problem:
        # Only what the reader may open in full, so no snippet shows locked text.
        readable = Article.objects.live().filter(access.visible_q(request.user))
        page_obj = library_search.results_page(query, articles=readable, number=request.GET.get("page"))
    return render(
        request,
        "anatomy/search.html",
        {"query": query.text, "problem": query.problem, "page_obj": page_obj, "examples": library_search.EXAMPLES},
    )
