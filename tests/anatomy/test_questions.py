"""Question? Comment? Typo?: stored, emailed to staff, safe against spam."""

import pytest
from django.urls import reverse

from anatomy.models import Article, Question
from tests.anatomy.conftest import GLUTEUS_MEDIUS


@pytest.fixture
def article(library):
    return Article.objects.get(slug="gluteus-medius")


def ask(client, article, **fields):
    data = {"kind": "typo", "section": "Anomalies", "message": "“Piriformis” is misspelled.", "name": "Ana"}
    data.update(fields)
    return client.post(reverse("anatomy:ask", args=[article.pk]), data, follow=True)


def test_question_is_stored_emailed_to_staff_and_thanked(client, article, mailoutbox):
    response = ask(client, article, email="ana@test.example")
    assert "Thank you! Your message has reached the author." in response.text
    assert response.redirect_chain[-1][0] == GLUTEUS_MEDIUS
    question = Question.objects.get()
    assert (question.article, question.kind, question.section, question.status) == (article, "typo", "Anomalies", "new")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["author@test.example"]
    assert "misspelled" in mailoutbox[0].body and "Anomalies" in mailoutbox[0].body


def test_the_section_can_be_chosen_from_the_articles_headings(client, article):
    html = client.get(GLUTEUS_MEDIUS).text
    for heading in ["Attachment details", "Details of function", "Anomalies"]:
        assert f'<option value="{heading}">{heading}</option>' in html


def test_a_validation_error_keeps_everything_the_reader_typed(client, article):
    response = ask(client, article, message="", name="Ana Typist", email="not-an-email")
    assert response.status_code == 400
    assert not Question.objects.exists()
    assert "This field is required." in response.text
    assert "Enter a valid email address." in response.text
    assert 'value="Ana Typist"' in response.text
    assert 'value="not-an-email"' in response.text
    assert '<option value="Anomalies" selected>' in response.text


def test_honeypot_submissions_are_dropped_quietly(client, article, mailoutbox):
    response = ask(client, article, website="http://spam.example")
    assert "Thank you!" in response.text
    assert not Question.objects.exists()
    assert not mailoutbox


def test_questions_are_rate_limited_per_visitor(client, article, still_clock):
    for _ in range(5):
        ask(client, article)
    response = ask(client, article, message="One too many")
    assert response.status_code == 400
    assert "Please wait a minute and try again." in response.text
    assert "One too many" in response.text
    assert Question.objects.count() == 5


def test_questions_only_for_live_articles(client, article):
    Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT)
    assert client.post(reverse("anatomy:ask", args=[article.pk]), {"message": "x"}).status_code == 404
    assert client.get(reverse("anatomy:ask", args=[article.pk])).status_code == 405
