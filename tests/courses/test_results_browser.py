"""A staff member reads a course's evaluation results on a phone: the tables
scroll inside their own regions, never the page sideways."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.anatomy.test_staff_browser import sign_in_to_the_staff_pages
from tests.courses.evaluation_data import add_evaluation, make_course
from tests.courses.test_results import evaluate, student

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_results_page_fits_a_phone_and_its_tables_scroll_in_place(page, staff):
    course = make_course()
    questions = add_evaluation(course)
    evaluate(student(1), course, questions, scale=5, single="A colleague", multiple=["Intake", "Plan"])
    sign_in_to_the_staff_pages(page, staff)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(reverse("admin:courses_evaluation_results", args=[course.pk]))
    expect(page.get_by_role("heading", name="1. How clear was the presentation?")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    # A table too wide for the screen scrolls in its region, which the keyboard reaches.
    region = page.get_by_role("region", name="Answers to question 1")
    assert region.evaluate("region => region.scrollWidth > region.clientWidth")
    region.focus()
    expect(region).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("region => region.scrollLeft > 0", arg=region.element_handle())
