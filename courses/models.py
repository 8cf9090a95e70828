from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from members.models import Tier, protected_storage


class Course(models.Model):
    class Kind(models.TextChoices):
        HOME_STUDY = "home_study", "Home study"
        RECORDED_WEBINAR = "recorded_webinar", "Recorded webinar"

    class State(models.TextChoices):
        ANNOUNCED = "announced", "Announced (not open yet)"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Access(models.TextChoices):
        ACCOUNT = "account", "Free with an account"
        TIER = "tier", "Supporters of a tier and above"
        PURCHASE = "purchase", "One-off purchase"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120, unique=True)
    summary = models.TextField(help_text="Shown in the course list and link previews.")
    description = models.TextField(blank=True, help_text="Markdown: what the course covers and who it is for.")
    instructor = models.CharField(max_length=120)
    instructor_signature = models.ImageField(
        upload_to="signatures/", blank=True, help_text="Printed on certificates (PNG with a transparent background)."
    )
    ce_hours = models.DecimalField("CE hours", max_digits=4, decimal_places=2)
    kind = models.CharField("course type", max_length=20, choices=Kind, default=Kind.HOME_STUDY)
    prerequisites = models.TextField(blank=True)
    access = models.CharField(max_length=10, choices=Access, default=Access.ACCOUNT)
    min_tier = models.ForeignKey(Tier, null=True, blank=True, on_delete=models.PROTECT, help_text="For tier access.")
    price = models.PositiveIntegerField(null=True, blank=True, help_text="For one-off purchase, in cents.")
    currency = models.CharField(max_length=3, default="usd")
    stripe_price_id = models.CharField("Stripe price id", max_length=100, blank=True, help_text="For purchase.")
    state = models.CharField(max_length=10, choices=State, default=State.ANNOUNCED)
    opens_on = models.DateField(null=True, blank=True, help_text="Shown on an announced course.")
    pass_mark = models.PositiveSmallIntegerField(default=80, help_text="Percent needed to pass the post-test.")
    max_test_attempts = models.PositiveSmallIntegerField(default=3)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("courses:detail", args=[self.slug])


class Lesson(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120)
    position = models.PositiveSmallIntegerField(default=0)
    video = models.FileField(
        storage=protected_storage, upload_to="videos/", blank=True, help_text="MP4 or WebM; or an embed URL below."
    )
    embed_url = models.URLField(blank=True, help_text="A video hosted elsewhere, instead of an upload.")
    poster = models.ImageField(upload_to="posters/", blank=True)
    captions = models.FileField(storage=protected_storage, upload_to="captions/", blank=True, help_text="WebVTT.")
    transcript = models.TextField(blank=True)
    duration_seconds = models.FloatField(default=0, help_text="Length of the video; filled in from the file.")

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["course", "slug"], name="unique_lesson_slug_in_course")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("courses:lesson", args=[self.course.slug, self.slug])


class Chapter(models.Model):
    """A named point in a lesson's video the player can jump to."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="chapters")
    title = models.CharField(max_length=200)
    start_seconds = models.PositiveIntegerField()

    class Meta:
        ordering = ["start_seconds"]

    def __str__(self):
        return self.title


class Handout(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="handouts")
    title = models.CharField(max_length=200)
    file = models.FileField(storage=protected_storage, upload_to="handouts/")

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.title


class Enrolment(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrolments")
    enrolled_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True, help_text="When every lesson was complete.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="one_enrolment_per_course")]

    def __str__(self):
        return f"{self.user} in {self.course}"


class Purchase(models.Model):
    """A one-off payment for a course, recorded once per Checkout Session."""

    # Kept for tax records when the member deletes their account, no longer linked to anyone.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="course_purchases"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="purchases")
    stripe_session_id = models.CharField(max_length=100, unique=True)
    # How a refund or dispute (they name the charge's PaymentIntent) finds the purchase; unset on older ones.
    stripe_payment_intent_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    paid_at = models.DateTimeField()
    refunded = models.BooleanField(
        default=False, help_text="Refunded in full or disputed: the course is closed to the buyer."
    )

    def __str__(self):
        return f"{self.user or 'A former member'} bought {self.course}"


class LessonProgress(models.Model):
    """What a student actually watched: merged [start, end] ranges in seconds,
    so skipping ahead adds nothing; and where to resume."""

    COMPLETE_SHARE = 0.9

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    watched_ranges = models.JSONField(default=list)
    watched_seconds = models.FloatField(default=0)
    position_seconds = models.FloatField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "lesson"], name="one_progress_per_lesson")]

    def __str__(self):
        return f"{self.user} · {self.lesson}"


class OpenNotification(models.Model):
    """ "Tell me when it opens" for an announced course."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="notify_requests")
    email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "email"], name="one_request_per_email")]

    def __str__(self):
        return f"{self.email} for {self.course}"


class EvaluationQuestion(models.Model):
    class Kind(models.TextChoices):
        SCALE = "scale", "Scale from 1 to 5"
        SINGLE = "single", "Single choice"
        MULTIPLE = "multiple", "Multiple choice"
        TEXT = "text", "Free text"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="evaluation_questions")
    text = models.CharField(max_length=300)
    kind = models.CharField(max_length=10, choices=Kind)
    required = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.text


class EvaluationChoice(models.Model):
    question = models.ForeignKey(EvaluationQuestion, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.text


class Evaluation(models.Model):
    """One student's evaluation of a course; correctable for a day."""

    # Still counted in the course's results when the member deletes their account, no longer linked to anyone.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="evaluations")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="evaluations")
    submitted_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="one_evaluation_per_course")]

    def __str__(self):
        return f"Evaluation of {self.course} by {self.user or 'a former member'}"


class EvaluationAnswer(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(EvaluationQuestion, on_delete=models.PROTECT, related_name="answers")
    scale = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)
    choices = models.ManyToManyField(EvaluationChoice, blank=True, related_name="answers")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["evaluation", "question"], name="one_answer_per_question")]

    def __str__(self):
        return f"Answer to {self.question}"


class TestQuestion(models.Model):
    """A post-test question (home study courses); one or more choices are correct."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="test_questions")
    text = models.CharField(max_length=300)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.text


class TestChoice(models.Model):
    question = models.ForeignKey(TestQuestion, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(max_length=200)
    is_correct = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.text


class TestAttempt(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="test_attempts")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="test_attempts")
    answers = models.JSONField(help_text="{question id: [choice ids]} as submitted.")
    score = models.PositiveSmallIntegerField(help_text="Percent correct.")
    passed = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user}: {self.score}% on {self.course}"


class Certificate(models.Model):
    """A certificate of completion. Its printed fields are copied at issue
    time, so later edits to the course or the name never change it; records
    are kept for the six years CE boards require, also when the member
    deletes their account (then `user` is empty and the code still verifies)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="certificates"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="certificates")
    code = models.CharField(max_length=20, unique=True)
    participant_name = models.CharField(max_length=200)
    course_title = models.CharField(max_length=200)
    completion_date = models.DateField()
    ce_hours = models.DecimalField(max_digits=4, decimal_places=2)
    course_kind = models.CharField(max_length=40)
    instructor = models.CharField(max_length=120)
    provider_name = models.CharField(max_length=200)
    approval_number = models.CharField(max_length=100)
    issued_at = models.DateTimeField(default=timezone.now)
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces", help_text="After a reissue."
    )

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self):
        return f"{self.code}: {self.participant_name}, {self.course_title}"

    def get_absolute_url(self):
        return reverse("courses:verify", args=[self.code])
