"""The course evaluation: only after completing the course, submitted once,
correctable for a day, and a form with errors gives every answer back."""

import re
from datetime import timedelta

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse
from django.utils import timezone

from courses import evaluations
from courses.models import Enrolment, Evaluation, EvaluationAnswer, EvaluationQuestion
from tests.courses.evaluation_data import add_evaluation, complete, evaluation_post, make_course


@pytest.fixture
def course(db):
    return make_course()


@pytest.fixture
def questions(course):
    return add_evaluation(course)


def url(course):
    return reverse("courses:evaluation", args=[course.slug])


def checked(html, name, value):
    """Is the radio button or checkbox `name` with `value` checked in the page?"""
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag and f'value="{value}"' in tag:
            return " checked" in tag
    raise AssertionError(f"no input {name}={value} in the page")


def test_visitors_who_are_not_signed_in_are_sent_to_sign_in(client, course, questions):
    response = client.get(url(course))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("enrolled", [False, True])
def test_the_evaluation_is_refused_before_the_course_is_completed(client, member, course, questions, enrolled):
    if enrolled:
        Enrolment.objects.create(user=member, course=course)  # watching, not finished
    client.force_login(member)
    page = client.get(url(course))
    assert "opens once you have completed every lesson" in page.text
    assert f'action="{url(course)}"' not in page.text

    response = client.post(url(course), evaluation_post(questions))
    assert response.status_code == 403
    assert "opens once you have completed every lesson" in response.text
    assert not Evaluation.objects.exists()
    assert not EvaluationAnswer.objects.exists()


def test_submitting_stores_every_answer_once(client, member, course, questions):
    complete(member, course)
    client.force_login(member)
    response = client.post(url(course), evaluation_post(questions), follow=True)
    assert response.redirect_chain[-1][0] == reverse("courses:certificate", args=[course.slug])
    assert "Thank you: your evaluation is in." in response.text

    evaluation = Evaluation.objects.get(user=member, course=course)
    answers = {answer.question.kind: answer for answer in evaluation.answers.select_related("question")}
    assert answers["scale"].scale == 4
    assert [c.text for c in answers["single"].choices.all()] == ["The library"]
    assert sorted(c.text for c in answers["multiple"].choices.all()) == ["Intake", "Plan"]
    assert answers["text"].text == "More cases."


def test_an_optional_question_may_be_left_out(client, member, course, questions):
    complete(member, course)
    client.force_login(member)
    client.post(url(course), evaluation_post(questions, text=""))
    evaluation = Evaluation.objects.get()
    assert not evaluation.answers.filter(question=questions["text"]).exists()
    assert evaluation.answers.count() == 3


def test_a_form_with_errors_gives_every_answer_back(client, member, course, questions):
    complete(member, course)
    client.force_login(member)
    data = evaluation_post(questions, scale=None, text="Longer demos, please.")
    response = client.post(url(course), data)

    assert response.status_code == 200
    html = response.text
    scale, single, multiple, text = (f"q{questions[kind].pk}" for kind in ("scale", "single", "multiple", "text"))
    # The error is listed first, linking to its question, and announced by the question's fieldset.
    assert "Your answers were not sent yet" in html
    assert f'<a href="#id_{scale}_0">How clear was the presentation?</a>: Choose a number from 1 to 5.' in html
    assert f'<fieldset aria-describedby="id_{scale}_helptext id_{scale}_error">' in html
    assert "<legend>How clear was the presentation?</legend>" in html
    # Everything they entered is still there.
    assert checked(html, single, data[single])
    assert all(checked(html, multiple, value) for value in data[multiple])
    unpicked = questions["multiple"].choices.get(text="Follow-up").pk
    assert not checked(html, multiple, unpicked)
    assert re.search(rf'<textarea name="{text}"[^>]*>\s*Longer demos, please.</textarea>', html)
    assert not Evaluation.objects.exists()


def test_a_choice_of_another_question_is_not_accepted(client, member, course, questions):
    complete(member, course)
    client.force_login(member)
    data = evaluation_post(questions)
    data[f"q{questions['single'].pk}"] = str(questions["multiple"].choices.first().pk)
    response = client.post(url(course), data)
    assert "Select a valid choice" in response.text
    assert not Evaluation.objects.exists()


def test_within_a_day_the_evaluation_reopens_filled_in_and_can_be_corrected(client, member, course, questions):
    complete(member, course)
    client.force_login(member)
    client.post(url(course), evaluation_post(questions))
    first = Evaluation.objects.get()

    page = client.get(url(course))
    assert "You can correct your answers until" in page.text
    assert checked(page.text, f"q{questions['scale'].pk}", "4")
    assert checked(page.text, f"q{questions['single'].pk}", evaluation_post(questions)[f"q{questions['single'].pk}"])
    assert "More cases." in page.text

    response = client.post(url(course), evaluation_post(questions, scale="2", multiple=["Follow-up"], text="Fine."))
    assert response.status_code == 302
    evaluation = Evaluation.objects.get()
    assert evaluation.pk == first.pk and evaluation.submitted_at == first.submitted_at
    assert evaluation.answers.get(question=questions["scale"]).scale == 2
    assert [c.text for c in evaluation.answers.get(question=questions["multiple"]).choices.all()] == ["Follow-up"]
    assert evaluation.answers.get(question=questions["text"]).text == "Fine."
    assert EvaluationAnswer.objects.count() == 4


def test_after_a_day_the_evaluation_is_closed(client, member, course, questions):
    complete(member, course)
    client.force_login(member)
    client.post(url(course), evaluation_post(questions))
    Evaluation.objects.update(submitted_at=timezone.now() - timedelta(days=1, minutes=1))

    page = client.get(url(course))
    assert "can no longer be changed" in page.text
    assert 'name="csrfmiddlewaretoken"' not in page.text.split("<main", 1)[1]

    response = client.post(url(course), evaluation_post(questions, scale="1"))
    assert response.status_code == 403
    assert Evaluation.objects.get().answers.get(question=questions["scale"]).scale == 4


def test_submit_refuses_a_closed_evaluation_even_when_called_directly(member, course, questions):
    complete(member, course)
    evaluations.submit(user=member, course=course, answers={questions["scale"]: 5})
    Evaluation.objects.update(submitted_at=timezone.now() - timedelta(days=2))
    with pytest.raises(evaluations.EvaluationRefused):
        evaluations.submit(user=member, course=course, answers={questions["scale"]: 1})
    assert EvaluationAnswer.objects.get().scale == 5


def test_sending_the_form_many_times_a_minute_is_slowed_down(client, member, course, questions, still_clock):
    complete(member, course)
    client.force_login(member)
    incomplete = evaluation_post(questions, scale=None)
    for _ in range(10):
        assert "several times in a short time" not in client.post(url(course), incomplete).text
    response = client.post(url(course), evaluation_post(questions))
    assert "several times in a short time" in response.text
    assert not Evaluation.objects.exists()


def test_a_course_without_questions_has_no_evaluation_page(client, member, course):
    complete(member, course)
    client.force_login(member)
    assert client.get(url(course)).status_code == 404


# Building the form in the staff pages


@pytest.fixture
def staff_client(client, staff):
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    return client


def question_post(course, kind, choices, **extra):
    data = {
        "course": course.pk,
        "position": 1,
        "text": "What did you think?",
        "kind": kind,
        "required": "on",
        "choices-TOTAL_FORMS": len(choices),
        "choices-INITIAL_FORMS": 0,
        "choices-MIN_NUM_FORMS": 0,
        "choices-MAX_NUM_FORMS": 1000,
    }
    for n, text in enumerate(choices):
        data |= {f"choices-{n}-text": text, f"choices-{n}-position": n}
    return data | extra


def test_staff_build_a_choice_question_with_its_choices(staff_client, course):
    response = staff_client.post(
        reverse("admin:courses_evaluationquestion_add"), question_post(course, "single", ["Yes", "No"])
    )
    assert response.status_code == 302
    question = EvaluationQuestion.objects.get()
    assert [c.text for c in question.choices.all()] == ["Yes", "No"]


@pytest.mark.parametrize(
    ("kind", "choices", "message"),
    [
        ("single", ["Only one"], "A choice question needs at least two choices."),
        ("multiple", [], "A choice question needs at least two choices."),
        ("scale", ["Stray"], "Scale and free-text questions take no choices"),
    ],
)
def test_the_staff_pages_check_a_question_has_the_right_choices(staff_client, course, kind, choices, message):
    response = staff_client.post(reverse("admin:courses_evaluationquestion_add"), question_post(course, kind, choices))
    assert response.status_code == 200
    assert message in response.text
    assert not EvaluationQuestion.objects.exists()


def test_a_test_question_needs_a_correct_choice(staff_client, course):
    data = question_post(course, "single", ["Yes", "No"])
    response = staff_client.post(reverse("admin:courses_testquestion_add"), data)
    assert "Mark at least one choice as correct." in response.text
    data["choices-0-is_correct"] = "on"
    assert staff_client.post(reverse("admin:courses_testquestion_add"), data).status_code == 302
    assert course.test_questions.get().choices.filter(is_correct=True).count() == 1


def test_an_answered_question_keeps_its_kind(staff_client, member, course, questions):
    complete(member, course)
    evaluations.submit(user=member, course=course, answers={questions["scale"]: 3})
    question = questions["scale"]
    response = staff_client.post(
        reverse("admin:courses_evaluationquestion_change", args=[question.pk]), question_post(course, "text", [])
    )
    assert "its kind cannot change" in response.text
    question.refresh_from_db()
    assert question.kind == "scale"


def test_the_demo_evaluation_loads_once_with_every_kind(course):
    evaluations.load_evaluation(course)
    evaluations.load_evaluation(course)
    kinds = list(course.evaluation_questions.values_list("kind", flat=True))
    assert kinds.count("scale") == 3 and {"single", "multiple", "text"} <= set(kinds)
    assert len(kinds) == 6
    assert course.test_questions.count() == 3
    for question in course.test_questions.all():
        assert question.choices.filter(is_correct=True).exists()
