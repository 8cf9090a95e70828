"""The staff results of a course: numbers, charts with their values, free
text, and the CSV files, at a fixed number of queries."""

import csv
import io

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses import certificates, evaluations, posttest
from courses.models import Enrolment
from members.models import User
from tests.courses.evaluation_data import add_evaluation, add_test, complete, make_course


@pytest.fixture
def course(db):
    return make_course()


@pytest.fixture
def questions(course):
    return add_evaluation(course)


@pytest.fixture
def staff_client(client, staff):
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    return client


def student(n, **names):
    # No password: hashing one per student would make the 30-student tests slow.
    user = User.objects.create(email=f"student{n}@test.example", **names)
    # A member (verified email), as the free course and so its evaluation ask.
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def evaluate(user, course, questions, *, scale, single, multiple=(), text=""):
    complete(user, course)
    answers = {
        questions["scale"]: scale,
        questions["single"]: [questions["single"].choices.get(text=single).pk],
        questions["multiple"]: [questions["multiple"].choices.get(text=item).pk for item in multiple],
        questions["text"]: text,
    }
    evaluations.submit(user=user, course=course, answers={q: v for q, v in answers.items() if v})


@pytest.fixture
def answered(course, questions):
    """Three evaluations, and one student who enrolled but did not finish."""
    evaluate(student(1, first_name="Ann", last_name="Able"), course, questions, scale=5, single="A colleague",
             multiple=["Intake", "Plan"], text="More on the hip, please.")  # fmt: skip
    evaluate(student(2), course, questions, scale=4, single="A colleague", multiple=["Plan"])
    evaluate(student(3), course, questions, scale=2, single="Other", text='=HYPERLINK("http://evil")')
    Enrolment.objects.create(user=student(4), course=course)


def results_url(course, name="admin:courses_evaluation_results"):
    return reverse(name, args=[course.pk])


def test_the_results_page_shows_numbers_means_counts_and_free_text(staff_client, course, answered):
    response = staff_client.get(results_url(course))
    assert response.status_code == 200
    html = " ".join(response.text.split())
    assert '<th scope="row">Enrolled</th><td>4</td>' in html
    assert '<th scope="row">Completed the course</th><td>3</td>' in html
    assert '<th scope="row">Evaluations submitted</th><td>3</td>' in html
    assert '<th scope="row">Certificates issued</th><td>3</td>' in html
    # Scale: 5, 4 and 2 give a mean of 3.67, and a bar per value with its count and share.
    assert "Mean: <strong>3.67</strong> out of 5" in html
    assert '<th scope="row">5</th> <td>1</td> <td>33% <svg aria-hidden="true"' in html
    assert '<th scope="row">3</th> <td>0</td> <td>0% <svg' in html
    assert 'width="33" height="12" fill="currentColor"' in html
    # Choices: counted per choice, shared among those who answered the question.
    assert '<th scope="row">A colleague</th> <td>2</td> <td>67% <svg' in html
    assert '<th scope="row">Plan</th> <td>2</td> <td>100% <svg' in html
    assert '<th scope="row">Follow-up</th> <td>0</td> <td>0% <svg' in html
    assert "Answered by 2 of 3" in html  # the optional multiple choice
    # Free text, escaped.
    assert "<li>More on the hip, please.</li>" in html
    assert "=HYPERLINK(&quot;http://evil&quot;)" in html
    assert 'style="' not in response.text.split('id="content-main"', 1)[1]


def test_the_results_are_for_staff_only(client, member, staff, course, answered):
    client.force_login(member)
    assert client.get(results_url(course)).status_code == 302
    client.force_login(staff)  # no two-factor authentication yet
    response = client.get(results_url(course))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")


def test_the_evaluations_csv_has_a_row_per_evaluation_and_a_column_per_question(staff_client, course, answered):
    response = staff_client.get(results_url(course, "admin:courses_evaluation_csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][2:] == [
        "Name",
        "Email",
        "How clear was the presentation?",
        "How did you hear about the course?",
        "Which parts will you use?",
        "What would you change?",
    ]
    assert rows[1][2:] == [
        "Ann Able",
        "student1@test.example",
        "5",
        "A colleague",
        "Intake; Plan",
        "More on the hip, please.",
    ]
    assert rows[2][2:] == ["", "student2@test.example", "4", "A colleague", "Plan", ""]
    # A spreadsheet must not run a student's answer as a formula.
    assert rows[3][-1] == '\'=HYPERLINK("http://evil")'
    assert len(rows) == 4


def test_the_roster_csv_is_the_record_of_each_student(staff_client, course, questions):
    test = add_test(course)
    ann = student(1, first_name="Ann", last_name="Able")
    complete(ann, course)
    evaluations.submit(user=ann, course=course, answers={questions["scale"]: 4})
    every = posttest.questions(course)
    wrong = {str(q.pk): [q.choices.filter(is_correct=False).first().pk] for q in test}
    right = {str(q.pk): [q.choices.get(is_correct=True).pk] for q in test}
    posttest.take(user=ann, course=course, questions=every, answers=wrong)
    posttest.take(user=ann, course=course, questions=every, answers=right)
    Enrolment.objects.create(user=student(2), course=course)

    response = staff_client.get(results_url(course, "admin:courses_evaluation_roster"))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "Name", "Email", "Enrolled", "Completed", "Evaluation submitted", "Certificate code", "Best test score",
    ]  # fmt: skip
    certificate = certificates.current(ann, course)
    completed = Enrolment.objects.get(user=ann).completed_at
    assert rows[1][:2] == ["Ann Able", "student1@test.example"]
    assert rows[1][3].startswith(completed.strftime("%Y-%m-%d"))
    assert rows[1][5:] == [certificate.code, "100"]
    assert rows[2][1] == "student2@test.example" and rows[2][3:] == ["", "", "", ""]


def queries_for(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "name", ["admin:courses_evaluation_results", "admin:courses_evaluation_csv", "admin:courses_evaluation_roster"]
)
def test_results_take_the_same_number_of_queries_for_3_and_30_evaluations(staff_client, course, questions, name):
    def add_students(first, last):
        for n in range(first, last):
            evaluate(student(n), course, questions, scale=1 + n % 5, single="Other", multiple=["Intake"], text=f"#{n}")

    add_students(0, 3)
    url = results_url(course, name)
    queries_for(staff_client, url)  # fills the caches shared by every page (the site notice)
    few = queries_for(staff_client, url)
    add_students(3, 30)
    assert queries_for(staff_client, url) == few
