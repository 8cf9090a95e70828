from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from members import access
from members.models import Visibility
from page_cache import cache_for_anonymous, cache_for_members

from . import fragments, questions, rendering, seo
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
# Who may read what a browse page only counts, in its words.
LOCKED_FOR = {Visibility.MEMBERS: "members", Visibility.TIER: "supporters"}
NOTICE_COOKIE = "dismissed_notice"
MAX_PATH = OldPath._meta.get_field("path").max_length  # a longer path names nothing
# The partials of anatomy/article.html that are the same for every reader (article_shell).
SHELL_PARTS = ("meta", "header", "author", "featured", "structured_data")


@cache_for_anonymous
@cache_for_members
def home(request):
    context = fragments.cached(request, "home", home_lists) | {"standing": access.standing(request.user)}
    return render(request, "anatomy/home.html", context)


def home_lists():
    # Lists here, on category and browse pages show locked articles too: their
    # title and summary are public, and their page shows the teaser and the way in.
    live = article_cards(Article.objects.live())
    return {
        "featured": live.filter(is_featured=True).order_by("-publish_at").first(),
        "latest": list(live.order_by("-publish_at")[:6]),
        "updated": list(live.order_by("-updated_at")[:6]),
        "top_categories": list(Category.objects.filter(parent=None)),
    }


def article_cards(articles):
    """Only what a link to an article with its summary needs: lists never load bodies."""
    return articles.select_related("category").only("title", "slug", "summary", "category__path")


@cache_for_anonymous
@cache_for_members
def page(request, path):
    """Every library URL: a category, an article in it, or an old address."""
    found = fragments.cached(request, f"page:{path}", lambda: find(path)) if len(path) <= MAX_PATH else None
    if isinstance(found, Category):
        return category_page(request, found)
    if isinstance(found, Article):
        return article_page(request, found)
    if isinstance(found, str):
        return HttpResponseRedirect(found, status=301)
    if path == "anatomy":  # the library's front page, before any category exists
        return category_page(request, None)
    raise Http404("No such page in the library.")


def find(path):
    """What a library path shows: a category, a live article, the address of
    what used to be there, or None."""
    category = Category.objects.filter(path=path).first()
    if category:
        return category
    category_path, _, slug = path.rpartition("/")
    article = (
        Article.objects.live()
        .select_related("category", "author", "facts", "min_tier")
        # The body is locked content: loaded after the access check, and cached apart.
        .defer("body", "search_text", "public_text", "search_vector")
        .filter(category__path=category_path, slug=slug)
        .first()
    )
    if article:
        return article
    old = OldPath.objects.filter(path=path).select_related("article__category", "category").first()
    if old and (old.category or old.article.is_live()):
        return old.target().get_absolute_url()
    return None


def category_page(request, category):
    articles = article_cards(Article.objects.live().filter(category=category)) if category else []
    around = fragments.cached(
        request,
        f"category:{category.pk if category else ''}",
        lambda: {
            "children": list(Category.objects.filter(parent=category)),
            "breadcrumb": breadcrumb_html(breadcrumb_for(category)) if category else "",
        },
    )
    return render(
        request,
        "anatomy/category.html",
        {
            "category": category,
            **around,
            "page_obj": Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page")),
        },
    )


def article_page(request, article, *, form=None, preview=False):
    """The article, or for a reader it is locked to: its summary, teaser and
    the way in. The body, its sections, the muscle facts and the illustrations
    are the locked content and never reach that reader."""
    unlocked = access.can_view(request.user, article)
    parts = part_names(article, unlocked)
    fragments.prefetch(request, [*parts.values(), *fragments.on_every_page(request)])
    content = locked_content(request, article) if unlocked else None
    teaser = None if unlocked else fragments.cached(request, parts["teaser"], lambda: rendering.render_teaser(article))
    return render(
        request,
        "anatomy/article.html",
        {
            "article": article,
            "unlocked": unlocked,
            "content": content,
            "teaser": teaser,
            "standing": access.standing(request.user),
            "shell": fragments.cached(request, parts["shell"], lambda: article_shell(request, article)),
            "form": form,
            "blank_form_fields": None if form else blank_question_fields(request, parts["question_form"], content),
            "preview": preview,
        },
        status=400 if form is not None else 200,
    )


def article_shell(request, article):
    """What an article's page shows the same to every reader, whatever they
    may open, as HTML by part of the page: its meta tags, breadcrumb, heading,
    author, the featured article beside it and its JSON-LD."""
    featured = fragments.cached(request, "featured", featured_articles)
    context = {
        "article": article,
        "featured": next((other for other in featured if other.pk != article.pk), None),
        "article_data": seo.article_data(article),
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
    }
    shell = {part: render_to_string(f"anatomy/article.html#{part}", context) for part in SHELL_PARTS}
    return shell | {"breadcrumb": breadcrumb_html([*breadcrumb_for(article.category), article])}


def blank_question_fields(request, name, content):
    """The question form's fields, blank: the same for every reader of the article."""
    sections = content["sections"] if content else []
    return fragments.cached(
        request,
        name,
        lambda: render_to_string("anatomy/question_form.html#fields", {"form": QuestionForm(sections=sections)}),
    )


def part_names(article, unlocked):
    """The cached fragments an article page is made of, by the name each is kept under."""
    version = version_of(article)
    names = {
        "shell": f"shell:{version}",
        "question_form": f"question-form:{version}:{unlocked}",
    }
    if unlocked:
        names["content"] = locked_name(article)
    else:
        names["teaser"] = f"teaser:{version}"
    return names


def locked_name(article):
    return f"article:{version_of(article)}"


def version_of(article):
    return f"{article.pk}:{article.updated_at.timestamp()}"


def locked_content(request, article):
    """What only readers who may open the article see, rendered once for all
    of them: {"html", "sections", "image"}. Ask only after the access check."""
    return fragments.cached(request, locked_name(article), lambda: render_locked_content(article))


def render_locked_content(article):
    facts = rendering.facts_of(article)
    if facts:
        facts = (
            MuscleFacts.objects.filter(pk=facts.pk)
            .prefetch_related("actions", "nerves", Prefetch("levels", queryset=SpinalLevel.objects.order_by("order")))
            .get()
        )
    body = rendering.render_article(article)
    illustrations = list(Illustration.objects.filter(article=article))
    html = render_to_string(
        "anatomy/article.html#locked-content",
        {
            "article": article,
            "facts": facts,
            "body": body,
            "illustrations": illustrations,
            "related": related_muscles(article, facts) if facts else [],
        },
    )
    return {
        "html": html,
        "sections": body.sections,
        "image": illustrations[0].image.url if illustrations else "",
    }


def featured_articles():
    """The two newest featured articles: the sidebar shows the first that is not the page's own."""
    return list(article_cards(Article.objects.live()).filter(is_featured=True).order_by("-publish_at")[:2])


def breadcrumb_for(category):
    """The category's ancestors and itself, root first, in one query."""
    trail = list(Category.objects.filter(path__in=[*category.ancestor_paths(), category.path]))
    return sorted(trail, key=lambda node: node.path.count("/"))


def breadcrumb_html(trail):
    """The breadcrumb and its JSON-LD, the same for every reader: rendered once
    and cached with the page's other parts."""
    return render_to_string("includes/breadcrumb.html", {"trail": trail, "site_url": settings.SITE_URL})


def related_muscles(article, facts, limit=12):
    """Live muscles that share an action or a nerve with this one. Sharing one
    is a fact of the other muscle, so a muscle locked to any reader of this
    article is left out (as on the browse pages): the list is cached with the
    article's locked part, the same for all its readers."""
    through_actions = MuscleFacts.actions.through.objects.filter(action__in=[a.pk for a in facts.actions.all()])
    through_nerves = MuscleFacts.nerves.through.objects.filter(nerve__in=[n.pk for n in facts.nerves.all()])
    return list(
        MuscleFacts.objects.filter(
            Q(pk__in=through_actions.values("musclefacts_id")) | Q(pk__in=through_nerves.values("musclefacts_id")),
            access.open_to_every_reader_of(article, prefix="article__"),
            article__in=Article.objects.live(),
        )
        .exclude(pk=facts.pk)
        .select_related("article__category")
        .only("muscle_name", "article__title", "article__slug", "article__category__path")
        .order_by("muscle_name")[:limit]
    )


def preview(request, pk):
    """An unpublished article exactly as readers will see it."""
    article = get_object_or_404(Article.objects.select_related("category", "author", "min_tier"), pk=pk)
    return article_page(request, article, preview=True)


@cache_for_anonymous
@cache_for_members
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
    """Muscles found by their facts. A locked article's facts are part of what
    it locks, so only muscles the visitor may read in full are listed, and the
    others only counted."""
    found = MuscleFacts.objects.filter(article__in=Article.objects.live(), **facts_filter)
    readable = access.visible_q(request.user, prefix="article__")
    page_obj = Paginator(
        found.filter(readable).select_related("article__category").order_by("muscle_name"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    # How many are locked, by what it takes to read them (staff, with an empty filter, read all).
    locked = dict(
        found.exclude(readable).values_list("article__visibility").annotate(count=Count("pk")) if readable else []
    )
    return render(
        request,
        "anatomy/browse.html",
        {
            "heading": heading,
            "intro": intro,
            "page_obj": page_obj,
            "locked_count": sum(locked.values()),
            "locked_for": " and ".join(who for kind, who in LOCKED_FOR.items() if kind in locked),
            # The way in: the supporter tiers, or else membership.
            "locked_to_supporters": Visibility.TIER in locked,
        },
    )


@cache_for_anonymous
@cache_for_members
def nerve(request, slug):
    nerve = get_object_or_404(Nerve, slug=slug)
    return _browse(request, f"Muscles supplied by the {nerve.name}", {"nerves": nerve}, "")


@cache_for_anonymous
@cache_for_members
def level(request, code):
    level = get_object_or_404(SpinalLevel, code__iexact=code)
    return _browse(
        request,
        f"Muscles innervated from {level.code}",
        {"levels": level},
        "Spinal levels of their nerve supply.",
    )


@cache_for_anonymous
@cache_for_members
def action(request, slug):
    action = get_object_or_404(Action, slug=slug)
    return _browse(request, f"Muscles for {action.name}", {"actions": action}, "")


@require_POST
@ratelimit(key="ip", rate="5/m", method="POST", block=False)
def ask(request, pk):
    article = get_object_or_404(Article.objects.live().select_related("category", "author", "min_tier"), pk=pk)
    sections = locked_content(request, article)["sections"] if access.can_view(request.user, article) else []
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
    # Only a path of this site; redirect() would take a bare word for a URL name and fail.
    safe = next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    response = HttpResponseRedirect(next_url if safe else "/")
    notice = SiteNotice.current()
    if notice:
        response.set_cookie(NOTICE_COOKIE, str(notice.pk), max_age=60 * 60 * 24 * 365, samesite="Lax")
    return response


@cache_for_anonymous
@cache_for_members
def search(request):
    query = library_search.parse(request.GET.get("q", ""))
    page_obj = None
    if not query.problem:
        # Locked articles are found too, by their title, summary and teaser only: what their page shows everyone.
        page_obj = library_search.results_page(
            query,
            articles=Article.objects.live(),
            readable=access.visible_q(request.user),
            number=request.GET.get("page"),
        )
    return render(
        request,
        "anatomy/search.html",
        {"query": query.text, "problem": query.problem, "page_obj": page_obj, "examples": library_search.EXAMPLES},
    )
