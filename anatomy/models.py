from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from members.models import Tier, Visibility

from . import images


class SiteNotice(models.Model):
    """A banner staff can switch on for every page (a class date, a holiday)."""

    message = models.CharField(max_length=300)
    link = models.URLField(blank=True, help_text="Optional page the notice points to.")
    is_active = models.BooleanField("show on the site", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self):
        return self.message

    @classmethod
    def current(cls):
        return cls.objects.filter(is_active=True).first()


class Category(models.Model):
    """A node of the library's tree. `path` holds the slugs from the root, so
    a category, its breadcrumb and its URL each cost one query at any depth."""

    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order among its siblings.")
    path = models.CharField(max_length=500, unique=True, editable=False)

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["parent", "slug"], name="unique_slug_among_siblings")]

    def __str__(self):
        return self.path.replace("/", " › ") if self.path else self.name

    def save(self, *args, **kwargs):
        from . import paths

        paths.save_category(self, super().save, *args, **kwargs)

    def get_absolute_url(self):
        return reverse("anatomy:page", args=[self.path])

    def clean(self):
        if self.parent_id and self.pk and (self.parent_id == self.pk or self.parent.path.startswith(f"{self.path}/")):
            raise ValidationError({"parent": "A category cannot sit inside itself or one of its own sub-categories."})

    def ancestor_paths(self):
        parts = self.path.split("/")
        return ["/".join(parts[: i + 1]) for i in range(len(parts) - 1)]


class AuthorProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="author")
    display_name = models.CharField(max_length=120)
    bio = models.TextField(help_text="A few sentences shown under each article.")
    photo = models.ImageField(upload_to="authors/", blank=True)
    photo_alt = models.CharField("photo description", max_length=200, blank=True)

    def __str__(self):
        return self.display_name


class ArticleQuerySet(models.QuerySet):
    def live(self, now=None):
        """Published and due: a scheduled article appears once its time has come."""
        return self.filter(status=Article.Status.PUBLISHED, publish_at__lte=now or timezone.now())


class Article(models.Model):
    MORE_MARKER = "<!-- more -->"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published (at the publish time)"

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="articles")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120)
    summary = models.TextField(
        help_text="One or two sentences: shown in lists, search results and link previews. "
        "Everyone sees it, even on a locked article."
    )
    teaser = models.TextField(
        blank=True,
        help_text="Markdown. What readers who cannot open a locked article see besides the summary. "
        f"If empty, the body up to {MORE_MARKER} is the teaser.",
    )
    body = models.TextField(
        blank=True,
        help_text="Markdown. Start each section with a '## Heading'. Names of other muscles become links.",
    )
    visibility = models.CharField(max_length=10, choices=Visibility, default=Visibility.PUBLIC)
    min_tier = models.ForeignKey(
        Tier,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name="lowest tier",
        help_text="For tier visibility: supporters of this tier and above may read it.",
    )
    author = models.ForeignKey(AuthorProfile, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    publish_at = models.DateTimeField(
        default=timezone.now,
        help_text="Readers see a published article from this time on; set a future time to schedule.",
    )
    is_featured = models.BooleanField("featured on the home page", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    search_text = models.TextField(editable=False, default="", help_text="Facts and body as plain text, for search.")
    public_text = models.TextField(
        editable=False,
        default="",
        help_text="Summary and teaser as plain text: what search may match on a locked article.",
    )
    # Weighted words for PostgreSQL's full-text search, GIN-indexed there (see
    # migration 0002); unused on SQLite. Kept current by anatomy.search.reindex().
    search_vector = SearchVectorField(null=True, editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [models.UniqueConstraint(fields=["category", "slug"], name="unique_article_slug_in_category")]
        indexes = [
            models.Index(fields=["status", "publish_at"]),
            models.Index(fields=["-updated_at"]),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        from . import paths

        if not self.slug:
            self.slug = slugify(self.title)[:120]
        # Browsers post CRLF; stored as LF so history shows only real changes.
        self.body = self.body.replace("\r\n", "\n")
        self.teaser = self.teaser.replace("\r\n", "\n")
        paths.save_article(self, super().save, *args, **kwargs)

    def get_absolute_url(self):
        return reverse("anatomy:page", args=[self.path])

    def clean(self):
        if self.visibility == Visibility.TIER and not self.min_tier_id:
            raise ValidationError({"min_tier": "Choose the lowest tier that may read this article."})

    @property
    def path(self):
        return f"{self.category.path}/{self.slug}"

    def teaser_text(self):
        """The Markdown a reader who may not open the article sees; may be empty."""
        if self.teaser:
            return self.teaser
        before, marker, _ = self.body.partition(self.MORE_MARKER)
        return before if marker else ""

    def is_live(self, now=None):
        return self.status == self.Status.PUBLISHED and self.publish_at <= (now or timezone.now())

    @property
    def is_scheduled(self):
        return self.status == self.Status.PUBLISHED and self.publish_at > timezone.now()


class OldPath(models.Model):
    """A URL an article or category used to have, answered with a 301."""

    path = models.CharField(max_length=620, unique=True)
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.CASCADE)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE)

    def __str__(self):
        return self.path

    def target(self):
        return self.article or self.category


class Term(models.Model):
    """A named thing muscle facts point to, with a page listing those muscles."""

    url_name = None

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse(self.url_name, args=[self.slug])


class Nerve(Term):
    url_name = "anatomy:nerve"


class SpinalLevel(models.Model):
    """C1 … S5, ordered down the spine so ranges read as "L4–S1"."""

    code = models.CharField(max_length=4, unique=True)
    order = models.PositiveSmallIntegerField(unique=True)

    class Meta:
        ordering = ["order"]

    def __str__(self):
        return self.code

    def get_absolute_url(self):
        return reverse("anatomy:level", args=[self.code])


class Action(Term):
    """A movement a muscle produces, such as "hip abduction"."""

    url_name = "anatomy:action"


class MuscleFacts(models.Model):
    """The quick-reference box of a muscle article, stored as data so the
    library can be browsed by nerve, spinal level and action."""

    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="facts")
    muscle_name = models.CharField(
        max_length=120,
        unique=True,
        help_text='As it appears in text, e.g. "gluteus medius"; mentions become links.',
    )
    origin = models.TextField()
    insertion = models.TextField()
    action_notes = models.TextField(blank=True, help_text="The actions in words, with their conditions.")
    actions = models.ManyToManyField(Action, related_name="muscles", blank=True)
    nerves = models.ManyToManyField(Nerve, related_name="muscles", blank=True)
    levels = models.ManyToManyField(SpinalLevel, related_name="muscles", blank=True, verbose_name="spinal levels")

    class Meta:
        ordering = ["muscle_name"]
        verbose_name = "muscle facts"
        verbose_name_plural = "muscle facts"

    def __str__(self):
        return f"Facts of {self.article}"

    def level_range(self):
        levels = sorted(self.levels.all(), key=lambda level: level.order)
        if not levels:
            return ""
        if len(levels) == 1:
            return levels[0].code
        return f"{levels[0].code}–{levels[-1].code}"


class Illustration(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="illustrations")
    # Locked with its article, like other locked files (see anatomy.images); the file view finds it by name.
    image = models.ImageField(upload_to="illustrations/", storage=images.illustration_storage, db_index=True)
    alt_text = models.CharField(
        max_length=300, help_text="What the image shows, for readers who cannot see it. Required."
    )
    caption = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)

    # Renditions made from `image` when it is saved (files, not columns).
    webp_480 = images.webp_rendition(480)
    webp_960 = images.webp_rendition(960)
    webp_1600 = images.webp_rendition(1600)
    fallback_480 = images.fallback_rendition(480)
    fallback_960 = images.fallback_rendition(960)
    fallback_1600 = images.fallback_rendition(1600)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.caption or self.alt_text

    def webp_srcset(self):
        return images.srcset(self, "webp")

    def fallback_srcset(self):
        return images.srcset(self, "fallback")


class Question(models.Model):
    """A reader's "Question? Comment? Typo?" about an article."""

    class Kind(models.TextChoices):
        QUESTION = "question", "Question"
        COMMENT = "comment", "Comment"
        TYPO = "typo", "Typo"

    class Status(models.TextChoices):
        NEW = "new", "New"
        ANSWERED = "answered", "Answered"
        FIXED = "fixed", "Fixed"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.QUESTION)
    section = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=120, blank=True)
    email = models.EmailField(blank=True, help_text="Only if the reader wants an answer.")
    message = models.TextField(max_length=5000)
    status = models.CharField(max_length=10, choices=Status, default=Status.NEW)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.article}"
