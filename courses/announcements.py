"""Announced courses: readers ask to be told when one opens, and staff tell
them all once it has (an action on the course in the staff pages)."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Course, OpenNotification


def ask_to_be_told(*, course, email):
    """Remembers `email` for `course`, once however often it is asked."""
    return OpenNotification.objects.get_or_create(course=course, email=email.strip().lower())[0]


def tell_course_opened(*, course):
    """Emails everyone still waiting for `course`, each on their own, and notes
    when; returns how many were told. Nothing is sent before it is open."""
    if course.state != Course.State.OPEN:
        return 0
    context = {"course": course, "site_name": settings.SITE_NAME, "site_url": settings.SITE_URL}
    subject, _, body = render_to_string("courses/email/course_opened.txt", context).partition("\n")
    told = 0
    for request in course.notify_requests.filter(notified_at=None):
        send_mail(subject.strip(), body.strip() + "\n", None, [request.email])
        request.notified_at = timezone.now()  # one at a time: a failure halfway never mails anyone twice
        request.save(update_fields=["notified_at"])
        told += 1
    return told
