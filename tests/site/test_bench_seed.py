"""`manage.py seed_bench` makes a working library of the asked size, with the
accounts the bench and the load test sign in with, and the same derived data
(search index, muscle links) that saving each article would give."""

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.db import connection

from anatomy import bench_seed, search
from anatomy.models import Article, Category, MuscleFacts
from courses.models import Certificate, Enrolment, Evaluation, Lesson, LessonProgress
from members import access
from members.models import ExclusivePost, Subscription, User

COUNTS = {"articles": 120, "members": 30, "posts": 4, "lessons": 3, "evaluations": 8}


@pytest.fixture
def seeded(db, media_root):
    call_command("seed_bench", **COUNTS, stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_it_makes_the_counts_and_accounts_asked_for(seeded):
    assert Article.objects.count() == 120
    assert MuscleFacts.objects.count() == 12  # a tenth are muscle articles
    assert 55 <= Category.objects.count() <= 65
    assert Category.objects.exclude(parent=None).exclude(parent__parent=None).exists()  # nested three deep
    assert User.objects.filter(email__endswith="@bench.example", is_staff=False).count() == 30
    assert ExclusivePost.objects.count() == 4
    assert Lesson.objects.count() == 3
    assert Evaluation.objects.count() == Certificate.objects.count() == 8
    assert Enrolment.objects.count() == 30
    assert Article.objects.filter(status=Article.Status.DRAFT).exists()
    assert Article.objects.filter(publish_at__gt=Article.objects.live().latest("publish_at").publish_at).exists()
    assert Article.objects.exclude(min_tier=None).exists()
    # The accounts, as the command's help describes them.
    assert User.objects.get(email=bench_seed.member_email(29)).check_password(bench_seed.PASSWORD)
    for number, tier in [(0, "champion"), (1, "patron"), (2, "friend"), (3, None)]:
        user = User.objects.get(email=bench_seed.member_email(number))
        assert EmailAddress.objects.get(user=user).verified
        standing = access.standing(user)
        assert (standing.tier.slug if standing.tier else None) == tier
    staff = User.objects.get(email=bench_seed.STAFF_EMAIL)
    assert staff.is_staff and staff.check_password(bench_seed.PASSWORD)
    assert Subscription.objects.count() == 9  # members 0-2, 10-12, 20-22
    done, halfway = (User.objects.get(email=bench_seed.member_email(n)) for n in (0, 8))
    assert Enrolment.objects.get(user=done).completed_at
    assert LessonProgress.objects.filter(user=done).count() == 3
    assert LessonProgress.objects.filter(user=halfway, completed_at__isnull=False).count() == 3
    assert not Enrolment.objects.get(user=halfway).completed_at


def test_the_library_reads_and_searches_as_if_each_article_had_been_saved(seeded, client):
    for article in Article.objects.filter(pk__in=[1, 5, 60, 119]):
        seeded_text = article.search_text
        seeded_vector = _vector(article.pk)
        search.reindex(article)
        assert Article.objects.get(pk=article.pk).search_text == seeded_text
        assert _vector(article.pk) == seeded_vector
    muscle = Article.objects.live().filter(facts__isnull=False, visibility="public").first()
    page = client.get(muscle.get_absolute_url())
    assert page.status_code == 200
    assert muscle.facts.origin in page.content.decode()
    assert client.get(muscle.category.get_absolute_url()).status_code == 200
    assert client.get("/").status_code == 200
    found = client.get("/search/", {"q": muscle.facts.muscle_name}).content.decode()
    assert muscle.title in found
    if connection.vendor == "postgresql":  # the GIN index is back after the load
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [bench_seed.SEARCH_INDEX])
            assert cursor.fetchone()
    client.force_login(User.objects.get(email=bench_seed.member_email(8)))
    lesson = client.get(f"/courses/{bench_seed.COURSE_SLUG}/lessons/part-2/")
    assert lesson.status_code == 200
    assert "<video" in lesson.content.decode()


def _vector(pk):
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector::text FROM anatomy_article WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_it_refuses_a_database_with_data(member):
    with pytest.raises(CommandError, match="empty database"):
        call_command("seed_bench", articles=1, members=1)
