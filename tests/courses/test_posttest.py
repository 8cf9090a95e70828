"""The post-test: only after completing the course, graded against the
correct choices and the course's pass mark, with a limited number of attempts."""

import pytest
from django.urls import reverse

from courses import (
    demo,
    models,  # as a module: pytest would take TestAttempt, TestChoice for test classes
    posttest,
)
from tests.courses.evaluation_data import add_test, attempt_post, complete, make_course


@pytest.fixture
def course(db):
    return make_course(pass_mark=60, max_test_attempts=2)


@pytest.fixture
def questions(course):
    return add_test(course)


def url(course, name="courses:test"):
    return reverse(name, args=[course.slug])


def test_the_post_test_is_refused_before_the_course_is_completed(client, member, course, questions):
    client.force_login(member)
    assert "opens once you have completed every lesson" in client.get(url(course)).text
    response = client.post(url(course), attempt_post(questions, right=3))
    assert response.status_code == 403
    assert not models.TestAttempt.objects.exists()


def test_passing_records_the_attempt_and_shows_the_result(client, member, course, questions):
    complete(member, course)
    client.force_login(member)
    page = client.get(url(course))
    assert "3 questions. You pass with 60% correct. This is attempt 1 of 2." in page.text

    response = client.post(url(course), attempt_post(questions, right=2), follow=True)
    assert response.redirect_chain[-1][0] == url(course, "courses:test_result")
    assert "You passed the post-test" in response.text
    assert "66% (2 of 3 questions right)" in response.text
    attempt = models.TestAttempt.objects.get()
    assert (attempt.score, attempt.passed) == (66, True)
    assert attempt.answers == {
        str(q.pk): [int(v)] for q, v in zip(questions, attempt_post(questions, 2).values(), strict=True)
    }


def test_the_pass_mark_is_compared_exactly(client, member, course, questions):
    course.pass_mark = 67  # 2 of 3 is 66.7%: short of 67
    course.save()
    complete(member, course)
    client.force_login(member)
    response = client.post(url(course), attempt_post(questions, right=2), follow=True)
    assert "You did not pass this time" in response.text
    assert models.TestAttempt.objects.get().passed is False


def test_failed_attempts_are_limited(client, member, course, questions):
    complete(member, course)
    client.force_login(member)
    response = client.post(url(course), attempt_post(questions, right=1), follow=True)
    assert "You did not pass this time" in response.text
    assert "33% (1 of 3 questions right)" in response.text
    assert "take the post-test again" in response.text
    assert "attempt 2 of 2" in client.get(url(course)).text

    response = client.post(url(course), attempt_post(questions, right=0), follow=True)
    assert "You have used all your attempts" in response.text

    assert "You have used all 2 attempts" in client.get(url(course)).text
    assert client.post(url(course), attempt_post(questions, right=3)).status_code == 403
    assert list(models.TestAttempt.objects.order_by("pk").values_list("score", "passed")) == [(33, False), (0, False)]


def test_no_attempt_after_a_pass(client, member, course, questions):
    complete(member, course)
    client.force_login(member)
    client.post(url(course), attempt_post(questions, right=3))
    assert "You passed the post-test on" in client.get(url(course)).text
    assert client.post(url(course), attempt_post(questions, right=3)).status_code == 403
    assert models.TestAttempt.objects.count() == 1


def test_unanswered_questions_are_shown_again_with_the_answers_given(client, member, course, questions):
    complete(member, course)
    client.force_login(member)
    data = attempt_post(questions, right=3)
    missing = data.pop(f"q{questions[2].pk}")
    response = client.post(url(course), data)
    assert response.status_code == 200
    assert f'<a href="#id_q{questions[2].pk}_0">Test question 3?</a>: Choose an answer.' in response.text
    for name, value in data.items():
        assert f'name="{name}" value="{value}" required aria-invalid' not in response.text
        assert f'value="{value}" required id="id_{name}_0" checked' in response.text
    assert f'value="{missing}" required aria-invalid="true" id="id_q{questions[2].pk}_0">' in response.text
    assert not models.TestAttempt.objects.exists()


def test_a_question_with_several_correct_choices_needs_all_of_them(client, member, course, questions):
    course.pass_mark = 100
    course.save()
    question = questions[0]
    extra = models.TestChoice.objects.create(question=question, text="Also right", is_correct=True)
    complete(member, course)
    client.force_login(member)
    page = client.get(url(course)).text
    assert f'type="checkbox" name="q{question.pk}"' in page
    assert "Choose all that apply." in page

    data = attempt_post(questions, right=3)  # the first right choice only: wrong
    data[f"q{question.pk}"] = [data[f"q{question.pk}"]]
    client.post(url(course), data)
    assert models.TestAttempt.objects.get().score == 66

    course.max_test_attempts = 3
    course.save()
    data[f"q{question.pk}"].append(str(extra.pk))
    client.post(url(course), data)
    assert models.TestAttempt.objects.latest("pk").score == 100


def test_a_course_without_a_post_test_has_no_test_page(client, member, course):
    complete(member, course)
    client.force_login(member)
    assert client.get(url(course)).status_code == 404


def test_picking_the_first_answer_everywhere_fails_the_demo_post_test(member):
    demo_course = demo.load()
    complete(member, demo_course)
    shown = posttest.questions(demo_course)
    first_choices = {str(question.pk): [question.choices.all()[0].pk] for question in shown}  # as listed on the page
    attempt = posttest.take(user=member, course=demo_course, questions=shown, answers=first_choices)
    assert not attempt.passed
