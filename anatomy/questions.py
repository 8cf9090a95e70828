"""Readers' "Question? Comment? Typo?" messages: stored against the article
and emailed to staff."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse


def receive(*, form, article):
    """Stores a valid question form and tells staff; spam is dropped quietly."""
    if form.is_spam():
        return None
    question = form.save(commit=False)
    question.article = article
    question.save()
    staff_emails = list(get_user_model().objects.filter(is_staff=True, is_active=True).values_list("email", flat=True))
    if staff_emails:
        send_mail(
            subject=f"{question.get_kind_display()} on “{article.title}”",
            message=(
                f"{question.message}\n\n"
                f"Section: {question.section or 'the whole article'}\n"
                f"From: {question.name or 'anonymous'} {question.email}\n"
                f"Article: {settings.SITE_URL}{article.get_absolute_url()}\n"
                f"Answer or mark it: {settings.SITE_URL}"
                f"{reverse('admin:anatomy_question_change', args=[question.pk])}\n"
            ),
            from_email=None,
            recipient_list=staff_emails,
        )
    return question
