import io

from django.core.management import call_command
from pypdf import PdfReader

from courses.models import Chapter, Course, Handout, Lesson
from tests.courses.conftest import VIDEO_BYTES


def test_the_demo_loader_creates_the_courses_once(db):
    call_command("load_demo", stdout=io.StringIO())
    counts = (Course.objects.count(), Lesson.objects.count(), Chapter.objects.count(), Handout.objects.count())
    assert counts == (3, 1, 3, 1)
    call_command("load_demo", stdout=io.StringIO())
    assert (Course.objects.count(), Lesson.objects.count(), Chapter.objects.count(), Handout.objects.count()) == counts

    course = Course.objects.get(slug="how-to-frame-a-bodywork-session")
    assert (course.state, course.access, course.kind) == ("open", "account", "home_study")
    assert str(course.ce_hours) == "1.25"
    assert course.instructor == "Dana Whitfield"  # the demo editor
    assert set(Course.objects.filter(state="announced").values_list("title", flat=True)) == {
        "Integrative Bodywork",
        "Craniosacral Foundations",
    }
    lesson = course.lessons.get()
    assert lesson.duration_seconds == 10.0
    assert lesson.video.read() == VIDEO_BYTES
    assert lesson.captions.read().startswith(b"WEBVTT")
    assert lesson.poster
    assert [(c.start_seconds, c.title) for c in lesson.chapters.all()] == [
        (0, "Intake"),
        (3, "Expectations"),
        (6, "Treatment plan for a seizing hamstring"),
    ]
    pdf = PdfReader(io.BytesIO(lesson.handouts.get().file.read()))
    assert "Session framing worksheet" in pdf.pages[0].extract_text()
