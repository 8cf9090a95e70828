"""The demo courses for `manage.py load_demo`: one open course with a short
lesson the project ships (courses/demo_media/), and two announced ones.
Existing rows are left as they are, so re-running duplicates nothing."""

import io
from decimal import Decimal
from pathlib import Path

from django.core.files import File
from django.core.files.base import ContentFile
from reportlab.lib.pagesizes import A5
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import ListFlowable, Paragraph, SimpleDocTemplate, Spacer

from .evaluations import load_evaluation
from .models import Chapter, Course, Handout, Lesson

MEDIA = Path(__file__).resolve().parent / "demo_media"
FRAMING_SLUG = "how-to-frame-a-bodywork-session"

TRANSCRIPT = """Welcome. Today we look at how to frame a bodywork session.

First the intake: what the client came for, and what they expect.

Then a plan: here, a seizing hamstring, and why we start at the hip."""

ANNOUNCED = [
    # (slug, title, summary, CE hours, position)
    (
        "integrative-bodywork",
        "Integrative Bodywork",
        "How techniques from several schools fit into one session, chosen by what the client's tissues tell you.",
        "3.00",
        2,
    ),
    (
        "craniosacral-foundations",
        "Craniosacral Foundations",
        "The anatomy beneath light-touch work on the skull, spine and sacrum, and when it helps.",
        "2.50",
        3,
    ),
]


def load(*, instructor="Dana Whitfield"):
    """Creates the demo courses; returns the open one."""
    course = load_framing_course(instructor=instructor)
    for slug, title, summary, hours, position in ANNOUNCED:
        Course.objects.get_or_create(
            slug=slug,
            defaults={
                "title": title,
                "summary": summary,
                "instructor": instructor,
                "ce_hours": Decimal(hours),
                "state": Course.State.ANNOUNCED,
                "position": position,
            },
        )
    load_evaluation(course)
    return course


def load_framing_course(*, instructor):
    course, _ = Course.objects.get_or_create(
        slug=FRAMING_SLUG,
        defaults={
            "title": "How to Frame a Bodywork Session",
            "summary": "From intake to a treatment plan: how to shape a session around what the client came for, "
            "with a worked plan for a seizing hamstring.",
            "description": (
                "The full course is a 75-minute presentation; this demo lesson is a short excerpt.\n\n"
                "You will learn to:\n\n"
                "- take an intake that finds what the client came for;\n"
                "- agree on expectations before you touch;\n"
                "- build a treatment plan, worked through for a seizing hamstring.\n\n"
                "For massage therapists and bodyworkers. After the lessons, fill in the evaluation "
                "to receive your certificate of completion."
            ),
            "instructor": instructor,
            "ce_hours": Decimal("1.25"),
            "kind": Course.Kind.HOME_STUDY,
            "prerequisites": "None; some experience of hands-on work helps.",
            "access": Course.Access.ACCOUNT,
            "state": Course.State.OPEN,
            "position": 1,
        },
    )
    lesson, created = Lesson.objects.get_or_create(
        course=course,
        slug="framing-a-session",
        defaults={"title": "Framing a session", "transcript": TRANSCRIPT, "duration_seconds": 10.0},
    )
    if created:
        with (MEDIA / "framing-a-session.webm").open("rb") as video:
            lesson.video.save("framing-a-session.webm", File(video), save=False)
        with (MEDIA / "framing-a-session.vtt").open("rb") as captions:
            lesson.captions.save("framing-a-session.vtt", File(captions), save=False)
        with (MEDIA / "poster.jpg").open("rb") as poster:
            lesson.poster.save("framing-a-session.jpg", File(poster), save=False)
        lesson.save()
        for start, title in [(0, "Intake"), (3, "Expectations"), (6, "Treatment plan for a seizing hamstring")]:
            Chapter.objects.create(lesson=lesson, start_seconds=start, title=title)
        Handout.objects.create(
            lesson=lesson,
            title="Session framing worksheet (PDF)",
            file=ContentFile(_worksheet_pdf(), name="session-framing-worksheet.pdf"),
        )
    return course


def _worksheet_pdf():
    buffer = io.BytesIO()
    styles = getSampleStyleSheet()
    steps = [
        "Intake: what did the client come for, in their words?",
        "Expectations: what will today's session do, and what will it not?",
        "Plan: where do you start, and why? For a seizing hamstring, check the hip first.",
    ]
    SimpleDocTemplate(buffer, pagesize=A5, title="Session framing worksheet").build(
        [
            Paragraph("Session framing worksheet", styles["Title"]),
            Paragraph("How to Frame a Bodywork Session", styles["Heading2"]),
            Spacer(1, 12),
            ListFlowable([Paragraph(step, styles["BodyText"]) for step in steps], bulletType="1"),
        ]
    )
    return buffer.getvalue()
