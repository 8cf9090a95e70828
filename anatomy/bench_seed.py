"""A large, realistic site for benchmarks and load tests (`manage.py seed_bench`).

Everything is made with bulk_create in batches, so the default size (10,000
articles, 5,000 members) loads in seconds. What signals keep current on a
normal save is kept current here in bulk: the search index through
search.reindex_many(), and the page cache's generation (which the muscle-link
index and every cached page are kept under) by dropping it.

Bodies are assembled from a pool of Markdown blocks (headings, paragraphs,
lists) plus one plain paragraph of the article's own, so the indexed words of
each body come from the words of its blocks, each rendered once: rendering
10,000 bodies of a few KB one by one would take a minute.

The accounts are described in the seed_bench command's help.
"""

import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone
from django.utils.text import slugify

from courses import certificates
from courses.evaluations import load_evaluation
from courses.models import (
    Certificate,
    Chapter,
    Course,
    Enrolment,
    Evaluation,
    EvaluationAnswer,
    EvaluationQuestion,
    Lesson,
    LessonProgress,
    TestAttempt,
)
from members.models import ExclusivePost, Payment, StripeCustomer, Subscription, Tier, User, Visibility
from page_cache import generation

from . import search
from .demo import SPINAL_LEVELS
from .models import Action, Article, AuthorProfile, Category, MuscleFacts, Nerve, SpinalLevel

PASSWORD = "bench-passphrase-123"
STAFF_EMAIL = "staff@bench.example"
COURSE_SLUG = "how-to-frame-a-bodywork-session"
BATCH = 1000
SEARCH_INDEX = "anatomy_article_search_vector_gin"


def member_email(i):
    return f"member{i}@bench.example"


# Supporters by member number: i % 10 == 0 Champion, 1 Patron, 2 Friend; the rest are free members.
SUPPORTER_TIER_BY_REMAINDER = {0: "champion", 1: "patron", 2: "friend"}
TIERS = [
    # (name, rank, monthly price in cents, benefits)
    ("Friend", 1, 500, "Treatment notes\nEarly news of new courses"),
    ("Patron", 2, 1500, "Everything Friends get\nHigh-resolution anatomy illustrations"),
    ("Champion", 3, 4000, "Everything Patrons get\nChapters of the manuals as PDF"),
]


@dataclass(frozen=True)
class Counts:
    articles: int = 10_000
    members: int = 5_000
    posts: int = 50
    lessons: int = 20
    evaluations: int = 2_000


def seed(counts, *, seed=1):
    """Fills an empty database; returns {what: how many rows} for a report."""
    rng = random.Random(seed)
    now = timezone.now()
    tiers = _tiers()
    staff = _staff()
    members = _members(counts.members, rng, now)
    _supporters(members, tiers, now)
    categories = _categories()
    articles = _articles(counts.articles, categories, tiers, staff, rng, now)
    _posts(counts.posts, tiers, rng, now)
    course = _course(counts.lessons)
    evaluations = _students(course, members, counts.evaluations, rng, now)
    generation.forget_pages()
    return {
        "categories": len(categories),
        "articles": len(articles),
        "muscle facts": MuscleFacts.objects.count(),
        "members": len(members),
        "supporters": Subscription.objects.count(),
        "exclusive posts": counts.posts,
        "lessons": counts.lessons,
        "evaluations": evaluations,
    }


# Members


FIRST_NAMES = "Ada Ben Cora Dev Elin Finn Gia Hugo Ines Jon Kira Leo Maya Nico Oona Per Quinn Rosa Sami Tove".split()
LAST_NAMES = "Berg Costa Dahl Ekström Fischer Garcia Holm Ito Jensen Kowalski Lund Moreau Nakamura Okafor".split()


def _tiers():
    return {
        name.lower(): Tier.objects.create(
            name=name,
            slug=name.lower(),
            rank=rank,
            monthly_price=price,
            benefits=benefits,
            stripe_price_id=f"price_bench_{name.lower()}",
        )
        for name, rank, price, benefits in TIERS
    }


def _staff():
    user = User.objects.create_superuser(STAFF_EMAIL, PASSWORD, first_name="Dana", last_name="Whitfield")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return AuthorProfile.objects.create(
        user=user,
        display_name="Dana Whitfield",
        bio="Massage therapist and anatomy teacher for thirty years; writes every article here.",
    )


def _members(count, rng, now):
    password = make_password(PASSWORD)  # hashed once: hashing 5,000 times would take minutes
    users = User.objects.bulk_create(
        (
            User(
                email=member_email(i),
                password=password,
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                date_joined=now - timedelta(days=rng.randint(1, 1500)),
            )
            for i in range(count)
        ),
        batch_size=BATCH,
    )
    EmailAddress.objects.bulk_create(
        (EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users), batch_size=BATCH
    )
    return users


def _supporters(members, tiers, now):
    supporters = [
        (i, user, tiers[SUPPORTER_TIER_BY_REMAINDER[i % 10]])
        for i, user in enumerate(members)
        if i % 10 in SUPPORTER_TIER_BY_REMAINDER
    ]
    StripeCustomer.objects.bulk_create(
        (StripeCustomer(user=user, stripe_id=f"cus_bench_{i}") for i, user, _ in supporters), batch_size=BATCH
    )
    subscriptions = Subscription.objects.bulk_create(
        (
            Subscription(
                user=user,
                stripe_id=f"sub_bench_{i}",
                tier=tier,
                status="active",
                current_period_end=now + timedelta(days=1 + i % 28),
                next_amount=tier.monthly_price,
            )
            for i, user, tier in supporters
        ),
        batch_size=BATCH,
    )
    Payment.objects.bulk_create(
        (
            Payment(
                user=subscription.user,
                subscription=subscription,
                stripe_invoice_id=f"in_bench_{i}",
                stripe_charge_id=f"ch_bench_{i}",
                amount=tier.monthly_price,
                currency=tier.currency,
                paid_at=now - timedelta(days=29 - i % 28),
            )
            for (i, _, tier), subscription in zip(supporters, subscriptions, strict=True)
        ),
        batch_size=BATCH,
    )


# The library

REGIONS = {
    "Head and Neck Muscles": [
        "Muscles of Mastication",
        "Muscles of Facial Expression",
        "Suboccipital Muscles",
        "Anterior Neck Muscles",
        "Lateral Neck Muscles",
        "Posterior Neck Muscles",
    ],
    "Trunk Muscles": [
        "Superficial Back Muscles",
        "Deep Back Muscles",
        "Abdominal Wall Muscles",
        "Respiratory Muscles",
        "Lumbar Muscles",
        "Pelvic Floor Muscles",
    ],
    "Upper Extremity Muscles": [
        "Rotator Cuff Muscles",
        "Scapular Muscles",
        "Arm Muscles",
        "Forearm Flexors",
        "Forearm Extensors",
        "Intrinsic Hand Muscles",
    ],
    "Lower Extremity Muscles": [
        "Gluteal and Hip Rotator Muscles",
        "Hip Flexors",
        "Adductor Muscles",
        "Quadriceps Muscles",
        "Hamstring Muscles",
        "Leg Muscles",
        "Intrinsic Foot Muscles",
    ],
}
OTHER_ROOTS = {
    "Techniques": [
        "Trigger Point Therapy",
        "Myofascial Release",
        "Muscle Energy Technique",
        "Positional Release",
        "Cross-Fibre Friction",
        "Stretching",
        "Joint Mobilisation",
        "Lymphatic Drainage",
        "Assisted Stretching",
        "Self-Care for Clients",
    ],
    "Conditions": [
        "Low Back Pain",
        "Neck and Shoulder Pain",
        "Hip and Knee Pain",
        "Headaches",
        "Repetitive Strain",
        "Sports Injuries",
        "Postural Patterns",
        "Pregnancy and Postpartum",
        "Jaw Pain",
        "Plantar Heel Pain",
    ],
    "Kinesiology": ["Gait", "Posture", "Breathing", "Lifting and Carrying", "Running", "Sitting", "Throwing"],
}


def _categories():
    """About 60 categories, three levels deep under Anatomy, two elsewhere.
    Saved one by one (there are few), so their paths are computed as usual."""
    made = []

    def add(name, parent, position):
        category = Category.objects.create(
            name=name,
            slug=slugify(name),
            parent=parent,
            position=position,
            description=f"{name}: articles on anatomy, function and treatment for bodyworkers.",
        )
        made.append(category)
        return category

    anatomy = add("Anatomy", None, 1)
    for position, (region, groups) in enumerate(REGIONS.items(), 1):
        parent = add(region, anatomy, position)
        for n, group in enumerate(groups, 1):
            add(group, parent, n)
    for position, (root, children) in enumerate(OTHER_ROOTS.items(), 2):
        parent = add(root, None, position)
        for n, child in enumerate(children, 1):
            add(child, parent, n)
    return made


MUSCLES = """gluteus medius, gluteus minimus, gluteus maximus, piriformis, tensor fasciae latae,
quadratus lumborum, gemellus superior, gemellus inferior, obturator internus, obturator externus,
quadratus femoris, iliacus, psoas major, psoas minor, sartorius, rectus femoris, vastus lateralis,
vastus medialis, vastus intermedius, articularis genus, adductor longus, adductor brevis, adductor magnus,
pectineus, gracilis, biceps femoris, semitendinosus, semimembranosus, popliteus, gastrocnemius, soleus,
plantaris, tibialis anterior, tibialis posterior, extensor hallucis longus, extensor digitorum longus,
fibularis longus, fibularis brevis, fibularis tertius, flexor hallucis longus, flexor digitorum longus,
abductor hallucis, flexor digitorum brevis, abductor digiti minimi, quadratus plantae, lumbricals,
trapezius, levator scapulae, rhomboid major, rhomboid minor, serratus anterior, pectoralis major,
pectoralis minor, subclavius, latissimus dorsi, teres major, teres minor, supraspinatus, infraspinatus,
subscapularis, deltoid, coracobrachialis, biceps brachii, brachialis, triceps brachii, anconeus,
brachioradialis, pronator teres, pronator quadratus, supinator, flexor carpi radialis, palmaris longus,
flexor carpi ulnaris, flexor digitorum superficialis, flexor digitorum profundus, flexor pollicis longus,
extensor carpi radialis longus, extensor carpi radialis brevis, extensor carpi ulnaris, extensor digitorum,
extensor indicis, abductor pollicis longus, extensor pollicis brevis, extensor pollicis longus,
opponens pollicis, abductor pollicis brevis, adductor pollicis, dorsal interossei, palmar interossei,
sternocleidomastoid, scalenus anterior, scalenus medius, scalenus posterior, splenius capitis,
splenius cervicis, semispinalis capitis, longissimus capitis, rectus capitis posterior major,
rectus capitis posterior minor, obliquus capitis superior, obliquus capitis inferior, longus colli,
longus capitis, platysma, digastric, mylohyoid, sternohyoid, omohyoid, masseter, temporalis,
medial pterygoid, lateral pterygoid, frontalis, occipitalis, orbicularis oculi, buccinator,
erector spinae, iliocostalis lumborum, longissimus thoracis, spinalis thoracis, multifidus, rotatores,
interspinales, intertransversarii, serratus posterior superior, serratus posterior inferior, diaphragm,
external intercostals, internal intercostals, rectus abdominis, external oblique, internal oblique,
transversus abdominis, pyramidalis, levator ani, coccygeus"""
MUSCLE_NAMES = [name.strip() for name in MUSCLES.split(",")]
MUSCLE_PARTS = ["upper fibres", "lower fibres", "anterior part", "posterior part", "deep layer", "superficial layer"]
NERVES = """superior gluteal nerve, inferior gluteal nerve, femoral nerve, obturator nerve, sciatic nerve,
tibial nerve, common fibular nerve, deep fibular nerve, superficial fibular nerve, medial plantar nerve,
lateral plantar nerve, accessory nerve, dorsal scapular nerve, long thoracic nerve, suprascapular nerve,
axillary nerve, musculocutaneous nerve, radial nerve, median nerve, ulnar nerve, thoracodorsal nerve,
lateral pectoral nerve, medial pectoral nerve, subscapular nerves, phrenic nerve, intercostal nerves,
facial nerve, mandibular nerve, cervical plexus, dorsal rami of spinal nerves"""
NERVE_NAMES = [name.strip() for name in NERVES.split(",")]
ACTION_NAMES = [
    f"{joint} {movement}"
    for joint in ["hip", "knee", "ankle", "shoulder", "elbow", "wrist", "neck", "trunk", "scapular", "jaw"]
    for movement in ["flexion", "extension", "abduction", "adduction", "medial rotation", "lateral rotation"]
]
SECTIONS = [
    "Attachment details",
    "Details of function",
    "Anomalies",
    "Palpation",
    "Trigger points",
    "Treatment notes",
    "Stretching",
    "Related conditions",
    "Working with clients",
]
WORDS = {
    "structure": "tendon fascia aponeurosis retinaculum bursa ligament periosteum septum raphe capsule".split(),
    "place": "lateral medial anterior posterior proximal distal superficial deep superior inferior".split(),
    "bone": "ilium sacrum femur tibia fibula scapula humerus radius ulna clavicle sternum mandible".split(),
    "landmark": "trochanter tuberosity crest condyle epicondyle spine notch fossa process tubercle".split(),
    "verb": "stabilises guides compresses lengthens shortens anchors supports controls steadies".split(),
    "client": "runner cyclist violinist gardener desk worker climber swimmer dancer carpenter parent".split(),
    "feeling": "ache tightness burning stiffness tenderness weakness fatigue cramping".split(),
    "technique": ["compression", "stripping", "friction", "pin and stretch", "rocking", "skin rolling"],
}
# Rare words: one article in 500 mentions one (for "rare word" searches).
RARE = ["fabella", "os trigonum", "accessory navicular", "bipartite patella", "os peroneum", "sesamoid"]

SENTENCES = [
    "The {structure} on the {place} side of the {bone} is where this muscle is easiest to feel.",
    "Its fibres run toward the {landmark} of the {bone}, and the {structure} there often feels thick.",
    "In standing it {verb} the joint, and a {client} relies on it more than most.",
    "A {client} with {feeling} on the {place} side usually describes it as deep and hard to reach.",
    "Work it with slow {technique} while the client breathes out, then reassess the range.",
    "Compare both sides: a difference in {feeling} tells you more than the absolute findings.",
    "The {place} border can be traced from the {landmark} with the client side-lying.",
    "Together with {muscle} it {verb} the pelvis or the shoulder girdle during movement.",
    "When {muscle} is weak, this muscle often takes over and develops {feeling}.",
    "Referred {feeling} from here is easily mistaken for a problem of the {bone}.",
    "Gentle {technique} across the {structure} is usually well tolerated, even when the area is tender.",
    "The muscle lies close to {muscle}, and the two are easily confused under the hand.",
]


def _block_pool(rng, size):
    """Markdown blocks to build bodies from, each with its indexed words (rendered once)."""
    pool = []
    for n in range(size):
        kind = n % 7
        if kind == 6:
            items = [_sentence(rng) for _ in range(rng.randint(3, 5))]
            text = "\n".join(f"- {item}" for item in items)
        else:
            text = " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))
        pool.append((text, search.body_text(text)))
    headings = [(f"## {name}", search.body_text(f"## {name}")) for name in SECTIONS]
    return pool, headings


def _sentence(rng):
    template = rng.choice(SENTENCES)
    values = {key: rng.choice(words) for key, words in WORDS.items()}
    return template.format(muscle=rng.choice(MUSCLE_NAMES), **values)


def _body(intro, rng, pool, headings):
    """A body of a few KB, and its indexed words. The intro is plain text
    (letters, commas and full stops only), so its words are itself."""
    blocks, words = [intro, Article.MORE_MARKER], [intro]
    for heading in rng.sample(headings, rng.randint(3, 5)):
        blocks.append(heading[0])
        words.append(heading[1])
        for text, text_words in rng.sample(pool, rng.randint(2, 3)):
            blocks.append(text)
            words.append(text_words)
    return "\n\n".join(blocks) + "\n", " ".join(word for word in words if word)


def _muscle_names(count):
    names = MUSCLE_NAMES + [f"{name} {part}" for part in MUSCLE_PARTS for name in MUSCLE_NAMES]
    return names[:count]


def _articles(count, categories, tiers, author, rng, now):
    """Articles with their muscle facts; each is created with its search
    fields (search.index_fields), as indexing after the insert costs twice."""
    pool, headings = _block_pool(rng, size=min(700, 50 + count // 15))  # fewer for small test runs
    terms = _terms()
    parents = {category.parent_id for category in categories}
    leaves = [category for category in categories if category.pk not in parents]
    anatomy_leaves = [category for category in leaves if category.path.startswith("anatomy/")]
    muscle_names = _muscle_names(count // 10)  # a tenth of the library are muscle articles with facts
    ranked_tiers = sorted(tiers.values(), key=lambda tier: tier.rank)
    articles, facts = [], []
    for i in range(count):
        muscle = muscle_names[i] if i < len(muscle_names) else None
        if muscle:
            category = anatomy_leaves[i % len(anatomy_leaves)]
            title, subject = f"{muscle.title()} – Functional Anatomy", muscle.capitalize()
        else:
            category = leaves[i % len(leaves)]
            section = rng.choice(SECTIONS)
            title, subject = f"{category.name}: {section} {i}", f"{section} in {category.name.lower()}"
        intro = (
            f"{subject} is part {i} of the library. "
            f"This article covers the {rng.choice(WORDS['place'])} {rng.choice(WORDS['structure'])} "
            f"and what a {rng.choice(WORDS['client'])} notices"
        ) + "."
        if i % 500 == 7:
            intro += f" A {RARE[i // 500 % len(RARE)]} is sometimes found here."
        body, words = _body(intro, rng, pool, headings)
        draw = rng.random()
        visibility, min_tier = Visibility.PUBLIC, None
        if draw < 0.10:
            visibility, min_tier = Visibility.TIER, ranked_tiers[i % len(ranked_tiers)]
        elif draw < 0.15:
            visibility = Visibility.MEMBERS
        status, publish_at = Article.Status.PUBLISHED, now - timedelta(minutes=rng.randint(60, 5 * 365 * 24 * 60))
        if i % 100 == 50:
            publish_at = now + timedelta(days=rng.randint(1, 60))  # scheduled
        elif i % 100 == 75:
            status = Article.Status.DRAFT
        summary = f"{title}: where it lies, what it does, and how to work with it in a session."
        muscle_facts = _muscle_facts(muscle, terms, rng) if muscle else None
        article = Article(
            category=category,
            title=title,
            slug=slugify(title)[:120],
            summary=summary,
            body=body,
            visibility=visibility,
            min_tier=min_tier,
            author=author,
            status=status,
            publish_at=publish_at,
            is_featured=i in (1, 2, 3),
            **search.index_fields(
                title=title,
                summary=summary,
                teaser_text=intro,  # the body up to its more marker, plain text already
                facts_text=search.facts_text(*muscle_facts) if muscle_facts else "",
                body_text=words,
            ),
        )
        articles.append(article)
        if muscle_facts:
            facts.append((article, *muscle_facts))
    with _search_index_built_after():
        for start in range(0, count, BATCH):
            Article.objects.bulk_create(articles[start : start + BATCH])
    _save_facts(facts)
    return articles


@contextmanager
def _search_index_built_after():
    """On PostgreSQL, the search vectors' GIN index (migration 0002_search) is
    dropped for the load and built again after it: one build takes seconds,
    10,000 updates of the index take a minute."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {SEARCH_INDEX}")
        yield
        connection.check_constraints()  # PostgreSQL builds no index while foreign key checks are pending
        cursor.execute(f"CREATE INDEX {SEARCH_INDEX} ON anatomy_article USING gin (search_vector)")


def _terms():
    levels = SpinalLevel.objects.bulk_create(
        SpinalLevel(code=code, order=order) for order, code in enumerate(SPINAL_LEVELS, 1)
    )
    nerves = Nerve.objects.bulk_create(Nerve(name=name, slug=slugify(name)) for name in NERVE_NAMES)
    actions = Action.objects.bulk_create(Action(name=name, slug=slugify(name)) for name in ACTION_NAMES)
    return actions, nerves, levels


def _muscle_facts(muscle, terms, rng):
    """Unsaved muscle facts with their actions, nerves and levels, in the order their models sort them."""
    actions, nerves, levels = terms
    first = rng.randrange(len(levels) - 3)
    facts = MuscleFacts(
        muscle_name=muscle,
        origin=f"The {rng.choice(WORDS['place'])} {_landmark(rng)}.",
        insertion=f"The {_landmark(rng)}.",
        action_notes=f"Strongest when the joint is {rng.choice(['flexed', 'extended', 'loaded', 'rotated'])}.",
    )
    chosen_actions = sorted(rng.sample(actions, 2), key=lambda action: action.name)
    return facts, chosen_actions, [rng.choice(nerves)], levels[first : first + 3]


def _save_facts(facts):
    """Saves [(article, muscle facts, actions, nerves, levels)] once the articles have ids."""
    for article, each, *_ in facts:
        each.article = article
    MuscleFacts.objects.bulk_create([each for _, each, *_ in facts], batch_size=BATCH)
    by_action = MuscleFacts.actions.through
    by_nerve = MuscleFacts.nerves.through
    by_level = MuscleFacts.levels.through
    by_action.objects.bulk_create(
        (by_action(musclefacts=each, action=item) for _, each, actions, _, _ in facts for item in actions),
        batch_size=BATCH,
    )
    by_nerve.objects.bulk_create(
        (by_nerve(musclefacts=each, nerve=item) for _, each, _, nerves, _ in facts for item in nerves),
        batch_size=BATCH,
    )
    by_level.objects.bulk_create(
        (by_level(musclefacts=each, spinallevel=item) for _, each, _, _, levels in facts for item in levels),
        batch_size=BATCH,
    )


def _landmark(rng):
    return f"{rng.choice(WORDS['landmark'])} of the {rng.choice(WORDS['bone'])}"


def _posts(count, tiers, rng, now):
    pool, headings = _block_pool(rng, size=60)
    kinds = list(ExclusivePost.Kind)
    ranked = sorted(tiers.values(), key=lambda tier: tier.rank)
    posts = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        title = f"{kind.label} {i + 1}: {rng.choice(MUSCLE_NAMES)}"
        body, _ = _body(f"{title.replace(':', ',')} for supporters.", rng, pool, headings)
        posts.append(
            ExclusivePost(
                title=title,
                slug=slugify(title),
                kind=kind,
                body=body,
                visibility=Visibility.MEMBERS if i % 10 == 9 else Visibility.TIER,
                min_tier=None if i % 10 == 9 else ranked[i % len(ranked)],
                is_published=True,
                published_at=now - timedelta(days=count - i),
            )
        )
    ExclusivePost.objects.bulk_create(posts)


# The course and its students

DEMO_VIDEO = Path(__file__).resolve().parent.parent / "courses" / "demo_media" / "framing-a-session.webm"
LESSON_SECONDS = 225  # 20 lessons make the 75-minute course


def _course(lesson_count):
    course = Course.objects.create(
        title="How to Frame a Bodywork Session",
        slug=COURSE_SLUG,
        summary="From intake to a treatment plan, with a worked plan for a seizing hamstring.",
        description="A 75-minute presentation in short lessons.\n\n- the intake\n- expectations\n- the plan",
        instructor="Dana Whitfield",
        ce_hours=Decimal("1.25"),
        access=Course.Access.ACCOUNT,
        state=Course.State.OPEN,
        position=1,
    )
    # Every lesson plays the demo video (one file in locked storage; lessons only name it).
    video = Lesson.video.field.storage.save("videos/bench-lesson.webm", DEMO_VIDEO.open("rb"))
    lessons = Lesson.objects.bulk_create(
        Lesson(
            course=course,
            title=f"Part {n}: {SECTIONS[n % len(SECTIONS)]}",
            slug=f"part-{n}",
            position=n,
            video=video,
            transcript=" ".join(SENTENCES[:4]),
            duration_seconds=LESSON_SECONDS,
        )
        for n in range(1, lesson_count + 1)
    )
    Chapter.objects.bulk_create(
        Chapter(lesson=lesson, title=title, start_seconds=start)
        for lesson in lessons
        for start, title in [(0, "Introduction"), (75, "Demonstration"), (150, "Questions")]
    )
    load_evaluation(course)
    return course


def _students(course, members, evaluation_count, rng, now):
    """Every member is enrolled. The first `evaluation_count` have watched
    every lesson, passed the post-test, evaluated the course and hold a
    certificate; of the rest, every fourth has watched the first three lessons."""
    lessons = list(course.lessons.all())
    done = members[:evaluation_count]
    Enrolment.objects.bulk_create(
        (
            Enrolment(user=user, course=course, completed_at=now - timedelta(days=i % 300) if i < len(done) else None)
            for i, user in enumerate(members)
        ),
        batch_size=BATCH,
    )
    watched = [(user, lessons) for user in done] + [(user, lessons[:3]) for user in members[len(done) :: 4]]
    LessonProgress.objects.bulk_create(
        (
            LessonProgress(
                user=user,
                lesson=lesson,
                watched_ranges=[[0, LESSON_SECONDS]],
                watched_seconds=LESSON_SECONDS,
                position_seconds=LESSON_SECONDS,
                completed_at=now,
            )
            for user, seen in watched
            for lesson in seen
        ),
        batch_size=BATCH,
    )
    correct = {
        str(question.pk): [choice.pk for choice in question.choices.all() if choice.is_correct]
        for question in course.test_questions.prefetch_related("choices")
    }
    TestAttempt.objects.bulk_create(
        (TestAttempt(user=user, course=course, answers=correct, score=100, passed=True) for user in done),
        batch_size=BATCH,
    )
    _evaluations(course, done, rng)
    Certificate.objects.bulk_create(
        (
            Certificate(
                user=user,
                course=course,
                code=certificates.new_code(),
                **certificates.printed_fields(user, course, (now - timedelta(days=i % 300)).date()),
            )
            for i, user in enumerate(done)
        ),
        batch_size=BATCH,
    )
    return len(done)


def _evaluations(course, students, rng):
    questions = list(course.evaluation_questions.prefetch_related("choices"))
    evaluations = Evaluation.objects.bulk_create(
        (Evaluation(user=user, course=course) for user in students), batch_size=BATCH
    )
    answers, picks = [], []
    for evaluation in evaluations:
        for question in questions:
            if not question.required and rng.random() < 0.4:
                continue
            answer = EvaluationAnswer(evaluation=evaluation, question=question)
            if question.kind == EvaluationQuestion.Kind.SCALE:
                answer.scale = rng.choices([1, 2, 3, 4, 5], weights=[1, 2, 5, 12, 10])[0]
            elif question.kind == EvaluationQuestion.Kind.TEXT:
                answer.text = rng.choice(["More on the hip, please.", "Clear and practical.", "Loved the worked plan."])
            answers.append(answer)
            choices = list(question.choices.all())
            if question.kind == EvaluationQuestion.Kind.SINGLE:
                picks.append((answer, [rng.choice(choices)]))
            elif question.kind == EvaluationQuestion.Kind.MULTIPLE:
                picks.append((answer, rng.sample(choices, rng.randint(1, len(choices)))))
    EvaluationAnswer.objects.bulk_create(answers, batch_size=BATCH)
    through = EvaluationAnswer.choices.through
    through.objects.bulk_create(
        (through(evaluationanswer=answer, evaluationchoice=choice) for answer, chosen in picks for choice in chosen),
        batch_size=BATCH,
    )
