"""Who may watch a course. The course page, each lesson, its video, captions
and handouts, and the progress reports all ask this module.

A course lets in one of: members (signed in with a verified email) for free;
supporters of a tier and above (members.access decides the tier); or whoever
bought it (a Purchase that was not refunded). Staff see everything, in any
state. An announced course cannot be watched yet; a closed one takes no new
students, while those who enrolled before keep watching as long as its rule
still lets them in.

The evaluation, post-test and certificate follow can_watch too: a student
whose purchase was refunded, or whose support lapsed, earns no new
certificate until they are let in again; one issued before stays valid.
"""

from django.db.models import Exists, OuterRef

from members import access as members_access
from members.models import Visibility

from .models import Course, Enrolment, Purchase


def entitled(user, course, *, bought=None):
    """Does the course's access rule let this visitor in, whatever its state?
    `bought`: whether they hold a purchase of it that was not refunded, when
    the caller has read that already (a list of courses, in one query)."""
    who = members_access.standing(user)
    if who.is_staff:
        return True
    if course.access == Course.Access.ACCOUNT:
        return who.is_member
    if course.access == Course.Access.TIER:
        return members_access.allows(who, Visibility.TIER, course.min_tier)
    return has_bought(user, course) if bought is None else bought


def has_bought(user, course):
    return user.is_authenticated and Purchase.objects.filter(user=user, course=course, refunded=False).exists()


def is_enrolled(user, course):
    return user.is_authenticated and Enrolment.objects.filter(user=user, course=course).exists()


def no_longer_open(user, course):
    """Has the course closed to this student since they enrolled (their
    purchase was refunded, their support lapsed)?"""
    return not can_watch(user, course) and is_enrolled(user, course)


def enrolments_of(user):
    """[(enrolment, whether the course is still open to them)], newest first, in one query."""
    if not user.is_authenticated:
        return []
    enrolments = (
        Enrolment.objects.filter(user=user)
        .select_related("course__min_tier")
        # Whether a purchase of theirs still stands, in this same query: a refund closes a bought course.
        .annotate(bought=Exists(Purchase.objects.filter(user=user, course=OuterRef("course"), refunded=False)))
        .order_by("-enrolled_at")
    )
    return [
        (enrolment, can_watch(user, enrolment.course, enrolled=True, bought=enrolment.bought))
        for enrolment in enrolments
    ]


def can_enrol(user, course):
    return user.is_authenticated and course.state == Course.State.OPEN and entitled(user, course)


def can_watch(user, course, *, enrolled=None, bought=None):
    """May this visitor watch the lessons and open their files, and so finish
    the course with its evaluation, post-test and certificate? `enrolled` and
    `bought`, when the caller knows them already, spare their queries."""
    if members_access.standing(user).is_staff:
        return True
    if course.state == Course.State.ANNOUNCED or not entitled(user, course, bought=bought):
        return False
    return course.state == Course.State.OPEN or (is_enrolled(user, course) if enrolled is None else enrolled)


def enrol(user, course):
    """Enrols the visitor if they may join; returns their enrolment, or None."""
    if not user.is_authenticated:
        return None
    existing = Enrolment.objects.filter(user=user, course=course).first()
    if existing or not can_enrol(user, course):
        return existing
    return Enrolment.objects.get_or_create(user=user, course=course)[0]


def way_in(user, course):
    """Why this visitor cannot watch, as the next step the course page offers:
    "announced", "closed" (to new students), "sign_in", "confirm_email",
    "support", "buy", "refunded" (their purchase was refunded or disputed) or
    "not_bought" (enrolled, without having bought it, in a closed course sold by
    purchase, which cannot be bought while closed); None when they can watch."""
    if can_watch(user, course):
        return None
    if course.state == Course.State.ANNOUNCED or (
        course.state == Course.State.CLOSED and not is_enrolled(user, course)
    ):
        return course.state
    # Open, or closed to new students but not to this one: the access rule keeps them out.
    if not user.is_authenticated:
        return "sign_in"
    if not members_access.standing(user).is_member:
        return "confirm_email"
    if course.access != Course.Access.PURCHASE:
        return "support"
    if Purchase.objects.filter(user=user, course=course, refunded=True).exists():
        return "refunded"
    return "buy" if course.state == Course.State.OPEN else "not_bought"


def way_in_panel(user, course):
    """What courses/includes/way_in.html shows: why this visitor cannot watch, and the next step.
    `enrolled`: a student offered to buy a course they joined before it was sold, to keep watching.
    `on_sale`: without a Stripe price, courses.purchases refuses the purchase, so no Buy button."""
    reason = way_in(user, course)
    return {
        "way_in": reason,
        "requirement": requirement(course),
        "standing": members_access.standing(user),
        "enrolled": reason == "buy" and is_enrolled(user, course),
        "on_sale": bool(course.stripe_price_id),
    }


def requirement(course):
    """The course's access rule, in the words the course pages use."""
    if course.access == Course.Access.ACCOUNT:
        return "Free with an account"
    if course.access == Course.Access.TIER:
        return f"Supporters of the {course.min_tier} tier and above"
    price = f": {course.price / 100:,.2f} {course.currency.upper()}" if course.price else ""
    return f"One-off purchase{price}"
