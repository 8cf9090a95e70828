"""The staff pages of courses: courses and their lessons (video, captions,
chapters, handouts), who enrolled and bought, and the readers waiting for an
announced course, whom one action emails once it opens."""

import io

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminFileWidget
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, Q
from django.db.models.fields.files import FieldFile
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from members import uploads
from members.admin import ReadOnlyAdmin, StoredFile

from . import announcements, certificates, results
from .forms import check_choice_count
from .models import (
    Certificate,
    Chapter,
    Course,
    Enrolment,
    Evaluation,
    EvaluationChoice,
    EvaluationQuestion,
    Handout,
    Lesson,
    OpenNotification,
    Purchase,
    TestAttempt,
    TestChoice,
    TestQuestion,
)
from .templatetags.course_wording import ce_hours, long_date


def served_url(instance, field_name):
    """Where the site serves a locked course file, after its access check (which staff pass)."""
    if isinstance(instance, Handout):
        lesson = instance.lesson
        return reverse("courses:handout", args=[lesson.course.slug, lesson.slug, instance.pk])
    name = "courses:lesson_video" if field_name == "video" else "courses:lesson_captions"
    return reverse(name, args=[instance.course.slug, instance.slug])


class LockedFileInput(AdminFileWidget):
    """A locked file has no public URL: link to the view that serves it."""

    use_fieldset = False

    def is_initial(self, value):
        return isinstance(value, FieldFile) and bool(value) and value.instance.pk is not None

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if context["widget"]["is_initial"]:
            context["widget"]["value"] = StoredFile(value.name, served_url(value.instance, value.field.name))
        return context


class CourseForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = [
            "title", "slug", "summary", "description", "position", "instructor", "instructor_signature", "ce_hours",
            "kind", "prerequisites", "state", "opens_on", "access", "min_tier", "price", "currency", "stripe_price_id",
            "pass_mark", "max_test_attempts",
        ]  # fmt: skip
        field_classes = {"instructor_signature": uploads.ImageField}
        labels = {"min_tier": "Lowest tier"}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("access") == Course.Access.TIER and not cleaned.get("min_tier"):
            self.add_error("min_tier", "Choose the lowest tier that may watch this course.")
        if cleaned.get("access") == Course.Access.PURCHASE:
            if not cleaned.get("stripe_price_id"):
                self.add_error("stripe_price_id", "A course for purchase needs its Stripe price id.")
            if not cleaned.get("price"):
                self.add_error("price", "A course for purchase needs its price, as shown on the course page.")
        return cleaned


class LessonInline(admin.TabularInline):
    model = Lesson
    fields = ["position", "title", "slug", "duration_seconds"]
    prepopulated_fields = {"slug": ["title"]}
    show_change_link = True
    extra = 0


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    form = CourseForm
    inlines = [LessonInline]
    list_display = ["title", "state", "access", "ce_credit", "waiting", "position"]
    list_filter = ["state", "access", "kind"]
    search_fields = ["title", "summary", "instructor"]
    prepopulated_fields = {"slug": ["title"]}
    actions = ["tell_waiting"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "description", "position"]}),
        ("Facts", {"fields": ["instructor", "instructor_signature", "ce_hours", "kind", "prerequisites"]}),
        ("State", {"fields": ["state", "opens_on"]}),
        ("Who may watch it", {"fields": ["access", "min_tier", "price", "currency", "stripe_price_id"]}),
        ("Post-test", {"fields": ["pass_mark", "max_test_attempts"]}),
    ]

    def get_queryset(self, request):
        waiting = Count("notify_requests", filter=Q(notify_requests__notified_at=None))
        return super().get_queryset(request).annotate(waiting_count=waiting)

    @admin.display(description="CE credit", ordering="ce_hours")
    def ce_credit(self, course):
        return ce_hours(course.ce_hours)

    @admin.display(description="Waiting to hear it opened", ordering="waiting_count")
    def waiting(self, course):
        return course.waiting_count

    def get_list_display(self, request):
        # The results are the evaluations' admin page: only for staff who may read evaluations.
        shown = super().get_list_display(request)
        return [*shown, "results"] if request.user.has_perm("courses.view_evaluation") else shown

    @admin.display(description="Results")
    def results(self, course):
        url = reverse("admin:courses_evaluation_results", args=[course.pk])
        return format_html('<a href="{}">Evaluation results</a>', url)

    @admin.action(description="Email everyone waiting to hear that the course opened")
    def tell_waiting(self, request, queryset):
        for course in queryset:
            if course.state != Course.State.OPEN:
                message = f"{course} is not open yet, so nobody was emailed about it."
                self.message_user(request, message, messages.WARNING)
                continue
            told = announcements.tell_course_opened(course=course)
            self.message_user(request, f"{course}: emailed {told} reader(s) that it is open.", messages.SUCCESS)


class ChapterInline(admin.TabularInline):
    model = Chapter
    fields = ["start_seconds", "title"]
    extra = 1


class HandoutForm(forms.ModelForm):
    class Meta:
        model = Handout
        fields = ["title", "file"]
        field_classes = {"file": uploads.HandoutField}


class HandoutInline(admin.TabularInline):
    model = Handout
    form = HandoutForm
    fields = ["title", "file"]
    extra = 1
    formfield_overrides = {models.FileField: {"widget": LockedFileInput}}


class LessonForm(forms.ModelForm):
    class Meta:
        model = Lesson
        fields = [
            "course", "title", "slug", "position", "video", "embed_url", "poster", "captions", "duration_seconds",
            "transcript",
        ]  # fmt: skip
        field_classes = {
            "video": uploads.VideoField,
            "captions": uploads.CaptionsField,
            "poster": uploads.ImageField,
        }


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    form = LessonForm
    inlines = [ChapterInline, HandoutInline]
    list_display = ["title", "course", "position", "duration_seconds"]
    list_filter = ["course"]
    list_select_related = ["course"]
    search_fields = ["title", "transcript"]
    prepopulated_fields = {"slug": ["title"]}
    fields = LessonForm.Meta.fields

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in ("video", "captions"):
            kwargs["widget"] = LockedFileInput
        return super().formfield_for_dbfield(db_field, request, **kwargs)


# Who watches and who paid: recorded by the site, so staff look and search.


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["user", "course", "enrolled_at", "completed_at"]
    list_filter = ["course", ("completed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "course"]
    search_fields = ["user__email"]
    readonly_fields = ["user", "course", "enrolled_at", "completed_at"]

    def has_add_permission(self, request):
        return False


@admin.register(Purchase)
class PurchaseAdmin(admin.ModelAdmin):
    list_display = ["user", "course", "amount", "currency", "paid_at", "refunded"]
    list_filter = ["course", "refunded"]
    list_select_related = ["user", "course"]
    search_fields = ["user__email", "stripe_session_id", "stripe_payment_intent_id"]
    # Refunds are made in Stripe, whose webhook ticks "refunded" after a full refund or a dispute; ticking it
    # here by hand closes the course to the buyer too (needed for purchases recorded without their PaymentIntent).
    readonly_fields = [
        "user",
        "course",
        "stripe_session_id",
        "stripe_payment_intent_id",
        "amount",
        "currency",
        "paid_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OpenNotification)
class OpenNotificationAdmin(admin.ModelAdmin):
    list_display = ["email", "course", "created_at", "notified_at"]
    list_filter = ["course", ("notified_at", admin.EmptyFieldListFilter)]
    list_select_related = ["course"]
    search_fields = ["email"]
    readonly_fields = ["course", "email", "created_at", "notified_at"]

    def has_add_permission(self, request):
        return False


# Evaluation, post-test and certificate admin below.
# Staff build each course's evaluation form and post-test here, read the
# results (a page per course, with CSV files for the records) and reissue
# certificates. Evaluations, attempts and certificates are records: looked
# at, never edited.


class ChoiceFormSet(BaseInlineFormSet):
    """Checks the choices that will remain against the question's kind."""

    is_test = False

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [
            (form.cleaned_data.get("text"), form.cleaned_data.get("is_correct", False))
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        check_choice_count(getattr(self.instance, "kind", None), kept, test=self.is_test)


class TestChoiceFormSet(ChoiceFormSet):
    is_test = True


class EvaluationChoiceInline(admin.TabularInline):
    model = EvaluationChoice
    formset = ChoiceFormSet
    fields = ["position", "text"]
    extra = 3


class EvaluationQuestionForm(forms.ModelForm):
    class Meta:
        model = EvaluationQuestion
        fields = ["course", "position", "text", "kind", "required"]
        help_texts = {
            "kind": "Single and multiple choice questions need at least two choices below; "
            "scale and free-text questions take none.",
            "position": "Questions are asked in this order, lowest first.",
            "required": "Students must answer a required question to submit the evaluation.",
        }

    def clean_kind(self):
        kind = self.cleaned_data["kind"]
        if self.instance.pk and kind != self.instance.kind and self.instance.answers.exists():
            raise ValidationError(
                "Students have answered this question, so its kind cannot change: add a new question instead."
            )
        return kind


@admin.register(EvaluationQuestion)
class EvaluationQuestionAdmin(admin.ModelAdmin):
    form = EvaluationQuestionForm
    inlines = [EvaluationChoiceInline]
    list_display = ["text", "course", "kind", "required", "position"]
    list_editable = ["position"]
    list_filter = ["course", "kind"]
    list_select_related = ["course"]
    search_fields = ["text"]
    ordering = ["course", "position", "pk"]


class TestChoiceInline(admin.TabularInline):
    model = TestChoice
    formset = TestChoiceFormSet
    fields = ["text", "is_correct"]
    extra = 3


@admin.register(TestQuestion)
class TestQuestionAdmin(admin.ModelAdmin):
    inlines = [TestChoiceInline]
    fields = ["course", "position", "text"]
    list_display = ["text", "course", "position"]
    list_editable = ["position"]
    list_filter = ["course"]
    list_select_related = ["course"]
    search_fields = ["text"]
    ordering = ["course", "position", "pk"]


def _answer_text(answer):
    return answer.scale or "; ".join(choice.text for choice in answer.choices.all()) or answer.text or "—"


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ["user", "course", "submitted_at", "updated_at"]
    list_filter = ["course"]
    list_select_related = ["user", "course"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    date_hierarchy = "submitted_at"
    fields = ["user", "course", "submitted_at", "updated_at", "answer_list"]
    change_list_template = "courses/results_evaluation_change_list.html"

    @admin.display(description="Answers")
    def answer_list(self, evaluation):
        answers = evaluation.answers.select_related("question").prefetch_related("choices")
        return format_html(
            "<dl>{}</dl>",
            format_html_join(
                "",
                "<dt>{}</dt><dd>{}</dd>",
                ((answer.question.text, _answer_text(answer)) for answer in answers),
            ),
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("results/", view(self.results_index), name="courses_evaluation_results_index"),
            path("results/<int:course_id>/", view(self.results_view), name="courses_evaluation_results"),
            path("results/<int:course_id>/evaluations.csv", view(self.evaluations_csv), name="courses_evaluation_csv"),
            path("results/<int:course_id>/roster.csv", view(self.roster_csv), name="courses_evaluation_roster"),
            *super().get_urls(),
        ]

    def _course(self, request, course_id, *perms):
        if not request.user.has_perms(["courses.view_evaluation", *perms]):
            raise PermissionDenied
        return get_object_or_404(Course, pk=course_id)

    def results_index(self, request):
        if not request.user.has_perm("courses.view_evaluation"):
            raise PermissionDenied
        courses = Course.objects.annotate(evaluation_count=Count("evaluations")).order_by("position", "title")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Evaluation results by course",
            "courses": courses,
        }
        return TemplateResponse(request, "courses/results_index.html", context)

    def results_view(self, request, course_id):
        """Enrolments, completions and each question's answers, as charts with their numbers."""
        course = self._course(request, course_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Evaluation results: {course.title}",
            "course": course,
            "results": results.summary(course),
        }
        return TemplateResponse(request, "courses/results.html", context)

    def evaluations_csv(self, request, course_id):
        course = self._course(request, course_id)
        return self._csv(course, "evaluations", results.write_evaluations_csv)

    def roster_csv(self, request, course_id):
        course = self._course(request, course_id, "courses.view_enrolment", "courses.view_certificate")
        return self._csv(course, "roster", results.write_roster_csv)

    def _csv(self, course, name, write):
        out = io.StringIO()
        write(course, out)
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="{course.slug}-{name}-{stamp}.csv"'
        return response


@admin.register(TestAttempt)
class TestAttemptAdmin(ReadOnlyAdmin):
    list_display = ["user", "course", "score", "passed", "created_at"]
    list_filter = ["course", "passed"]
    list_select_related = ["user", "course"]
    search_fields = ["user__email"]
    date_hierarchy = "created_at"


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    """Certificates are kept (six years for CE boards): never added or deleted
    here, and never edited; a wrong one is reissued with a new code."""

    list_display = ["code", "participant_name", "course_title", "completed_on", "issued_at", "current"]
    list_filter = ["course", ("replaced_by", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["code", "participant_name", "user__email"]
    date_hierarchy = "issued_at"
    actions = ["reissue"]
    fields = [
        "code", "links", "user", "course", "participant_name", "course_title", "completed_on", "hours", "course_kind",
        "instructor", "provider_name", "approval_number", "issued_at", "replaced_by",
    ]  # fmt: skip
    readonly_fields = fields

    @admin.display(description="Completed on", ordering="completion_date")
    def completed_on(self, certificate):
        return long_date(certificate.completion_date)

    @admin.display(description="CE credit")
    def hours(self, certificate):
        return ce_hours(certificate.ce_hours)

    @admin.display(description="Current", boolean=True, ordering="replaced_by")
    def current(self, certificate):
        return certificate.replaced_by_id is None

    @admin.display(description="Links")
    def links(self, certificate):
        return format_html(
            '<a href="{}">Download the PDF</a> · <a href="{}">Public verification page</a>',
            reverse("courses:certificate_pdf", args=[certificate.code]),
            certificate.get_absolute_url(),
        )

    @admin.action(description="Reissue with a new code (after correcting the member's name or the course)")
    def reissue(self, request, queryset):
        if request.POST.get("confirmed") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "Reissue these certificates?",
                "opts": self.model._meta,
                "certificates": queryset,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/courses/certificate/reissue_confirmation.html", context)
        for certificate in queryset:
            new = certificates.reissue(certificate)
            if new is None:
                self.message_user(request, f"{certificate.code} was already replaced; skipped.", messages.WARNING)
            else:
                self.message_user(request, f"{certificate.code} is replaced by {new.code}.", messages.SUCCESS)

    reissue.allowed_permissions = ["change"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
