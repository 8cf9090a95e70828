"""The demo library for `manage.py load_demo`: the category tree, gluteus
medius with its muscle facts, the neighbours it mentions, and one article
locked to supporters. Existing rows are left as staff may have edited them."""

from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.text import slugify
from PIL import Image, ImageDraw, ImageFont

from members.models import Tier, Visibility

from .forms import IllustrationForm
from .models import Action, Article, AuthorProfile, Category, Illustration, MuscleFacts, Nerve, SiteNotice, SpinalLevel

SPINAL_LEVELS = [f"C{i}" for i in range(1, 9)] + [f"T{i}" for i in range(1, 13)]
SPINAL_LEVELS += [f"L{i}" for i in range(1, 6)] + [f"S{i}" for i in range(1, 6)]

TREE = [
    # (path of the parent or None, name, description)
    (None, "Anatomy", "The muscles of the body, region by region, as a bodyworker meets them."),
    ("anatomy", "Lower Extremity Muscles", "Muscles of the hip, thigh, leg and foot."),
    (
        "anatomy/lower-extremity-muscles",
        "Gluteal and Hip Rotator Muscles",
        "The gluteals, tensor fasciae latae and the deep lateral rotators of the hip.",
    ),
    ("anatomy", "Trunk Muscles", "Muscles of the back, abdomen and the lumbar region."),
    ("anatomy", "Upper Extremity Muscles", "Muscles of the shoulder girdle, arm, forearm and hand."),
    (
        "anatomy/upper-extremity-muscles",
        "Rotator Cuff Muscles",
        "The four muscles that steady the shoulder joint.",
    ),
]

GLUTEUS_MEDIUS_BODY = """\
Gluteus medius is the fan-shaped muscle of the side of the hip. It lies on
top of gluteus minimus, and its back portion is tucked under gluteus maximus.
It usually has three parts (anterior, middle and posterior) whose fibres
converge on a single tendon.

## Attachment details

The muscle arises from the outer surface of the ilium, in the band between
the anterior and posterior gluteal lines. Its fibres run down to the greater
trochanter, where the tendon attaches to the superior and anterior
(superolateral) aspect, just behind the tendon of gluteus minimus.

The front two-thirds of the muscle lie under the gluteal aponeurosis, a thick
part of the fascia lata, which is why the muscle feels firm under the hand
even at rest.

## Details of function

Gluteus medius abducts the hip and rotates it medially. Medial rotation is
strongest when the hip is flexed.

Its most important everyday job happens with the foot on the ground. When
the foot is fixed, the muscle shifts the pelvis sideways over it. Working
together with tensor fasciae latae and the quadratus lumborum of the
opposite side, it holds the pelvis level over the stance leg while the other
leg swings through in walking. Weakness shows as the pelvis dropping on the
swing side.

## Anomalies

The muscle can come in two distinct parts instead of three. It can also be
fused with piriformis behind it or with gluteus minimus beneath it.
"""

TRIGGER_POINTS = {
    "category": "anatomy/lower-extremity-muscles/gluteal-and-hip-rotator-muscles",
    "title": "Gluteus Medius – Trigger Points and Treatment",
    "slug": "gluteus-medius-trigger-points",
    "summary": "Where gluteus medius refers pain, how to find its trigger points, and a treatment sequence.",
    "tier": "patron",
    "body": """\
Trigger points in gluteus medius are a common, and commonly missed, source of
low back and lateral hip pain. The pain is felt along the iliac crest, over
the sacrum and down the side of the hip, rarely where the muscle is tight.

<!-- more -->

## Finding the trigger points

With the client side-lying, knees bent and a pillow between them, palpate
just below the iliac crest from the front to the back. Three areas are
usually tender: near the anterior superior iliac spine, at the middle of the
crest, and near the sacroiliac joint, under the edge of gluteus maximus.

## Treatment sequence

1. Warm the lateral hip with broad compression through the gluteal
   aponeurosis.
2. Hold sustained pressure on each tender point until it softens, while the
   client breathes slowly.
3. Finish with a gentle stretch in adduction, the top leg hanging behind the
   bottom one, and teach the client to repeat it at home.

Check quadratus lumborum and tensor fasciae latae too: they share the work of
levelling the pelvis and often hold trigger points of their own.
""",
}

MUSCLES = [
    {
        "category": "anatomy/lower-extremity-muscles/gluteal-and-hip-rotator-muscles",
        "title": "Gluteus Medius – Functional Anatomy",
        "slug": "gluteus-medius",
        "muscle": "gluteus medius",
        "summary": "The fan-shaped abductor of the lateral hip that keeps the pelvis level when you stand on one leg.",
        "origin": "Outer surface of the ilium, between the anterior and posterior gluteal lines.",
        "insertion": "Superolateral (superior and anterior) aspect of the greater trochanter, "
        "posterior to the tendon of gluteus minimus.",
        "action_notes": "Abducts and medially rotates the hip (medial rotation strongest with the hip flexed). "
        "With the foot fixed it shifts the pelvis sideways; with tensor fasciae latae and the opposite "
        "quadratus lumborum it keeps the pelvis level over the stance leg.",
        "actions": ["hip abduction", "hip medial rotation", "pelvic stabilisation"],
        "nerves": ["superior gluteal nerve"],
        "levels": ["L4", "L5", "S1"],
        "body": GLUTEUS_MEDIUS_BODY,
        "featured": True,
    },
    {
        "category": "anatomy/lower-extremity-muscles/gluteal-and-hip-rotator-muscles",
        "title": "Gluteus Minimus",
        "slug": "gluteus-minimus",
        "muscle": "gluteus minimus",
        "summary": "The smallest and deepest gluteal, under gluteus medius, abducting and medially rotating the hip.",
        "origin": "Outer surface of the ilium, between the anterior and inferior gluteal lines.",
        "insertion": "Anterior surface of the greater trochanter.",
        "action_notes": "Abducts the hip and medially rotates it; helps level the pelvis in walking.",
        "actions": ["hip abduction", "hip medial rotation", "pelvic stabilisation"],
        "nerves": ["superior gluteal nerve"],
        "levels": ["L4", "L5", "S1"],
        "body": "Gluteus minimus lies directly beneath gluteus medius and works with it.\n\n"
        "## Details of function\n\nIts anterior fibres are strong medial rotators of the hip.\n",
    },
    {
        "category": "anatomy/lower-extremity-muscles/gluteal-and-hip-rotator-muscles",
        "title": "Gluteus Maximus",
        "slug": "gluteus-maximus",
        "muscle": "gluteus maximus",
        "summary": "The large superficial extensor of the hip, covering the back of gluteus medius.",
        "origin": "Posterior ilium behind the posterior gluteal line, sacrum, coccyx and sacrotuberous ligament.",
        "insertion": "Iliotibial tract and the gluteal tuberosity of the femur.",
        "action_notes": "Extends and laterally rotates the hip; its upper fibres help abduct.",
        "actions": ["hip extension", "hip lateral rotation"],
        "nerves": ["inferior gluteal nerve"],
        "levels": ["L5", "S1", "S2"],
        "body": "Gluteus maximus covers the posterior part of gluteus medius.\n\n"
        "## Details of function\n\nIt is the main extensor when climbing stairs or rising from a chair.\n",
    },
    {
        "category": "anatomy/lower-extremity-muscles/gluteal-and-hip-rotator-muscles",
        "title": "Piriformis",
        "slug": "piriformis",
        "muscle": "piriformis",
        "summary": "A deep lateral rotator running from the sacrum to the greater trochanter.",
        "origin": "Anterior surface of the sacrum.",
        "insertion": "Upper border of the greater trochanter.",
        "action_notes": "Laterally rotates the extended hip; abducts the flexed hip.",
        "actions": ["hip lateral rotation", "hip abduction"],
        "nerves": ["nerve to piriformis"],
        "levels": ["S1", "S2"],
        "body": "Piriformis lies just below gluteus medius, and the two are sometimes fused.\n",
    },
    {
        "category": "anatomy/lower-extremity-muscles/gluteal-and-hip-rotator-muscles",
        "title": "Tensor Fasciae Latae",
        "slug": "tensor-fasciae-latae",
        "muscle": "tensor fasciae latae",
        "summary": "A small anterior hip muscle that tenses the iliotibial tract.",
        "origin": "Anterior superior iliac spine and the outer lip of the iliac crest.",
        "insertion": "Iliotibial tract.",
        "action_notes": "Flexes, abducts and medially rotates the hip; steadies the pelvis with gluteus medius.",
        "actions": ["hip flexion", "hip abduction", "hip medial rotation", "pelvic stabilisation"],
        "nerves": ["superior gluteal nerve"],
        "levels": ["L4", "L5", "S1"],
        "body": "Tensor fasciae latae shares its nerve with gluteus medius and gluteus minimus.\n",
    },
    {
        "category": "anatomy/trunk-muscles",
        "title": "Quadratus Lumborum",
        "slug": "quadratus-lumborum",
        "muscle": "quadratus lumborum",
        "summary": "The deep square muscle between the iliac crest and the twelfth rib.",
        "origin": "Iliac crest and iliolumbar ligament.",
        "insertion": "Twelfth rib and the transverse processes of L1–L4.",
        "action_notes": "Side-bends the lumbar spine, hikes the hip, and fixes the twelfth rib in breathing.",
        "actions": ["lateral flexion of the trunk", "pelvic stabilisation"],
        "nerves": ["subcostal nerve", "lumbar plexus"],
        "levels": ["T12", "L1", "L2", "L3", "L4"],
        "body": "Quadratus lumborum works with the opposite gluteus medius to keep the pelvis level.\n",
    },
    {
        "category": "anatomy/upper-extremity-muscles/rotator-cuff-muscles",
        "title": "Supraspinatus",
        "slug": "supraspinatus",
        "muscle": "supraspinatus",
        "summary": "The rotator cuff muscle on top of the shoulder blade that starts abduction of the arm.",
        "origin": "Supraspinous fossa of the scapula.",
        "insertion": "Superior facet of the greater tubercle of the humerus.",
        "action_notes": "Initiates abduction of the arm and holds the head of the humerus in its socket.",
        "actions": ["shoulder abduction"],
        "nerves": ["suprascapular nerve"],
        "levels": ["C5", "C6"],
        "body": "## Details of function\n\nIt is the rotator cuff tendon most often irritated under the acromion.\n",
    },
]


def load(*, author_user):
    for order, code in enumerate(SPINAL_LEVELS, start=1):
        SpinalLevel.objects.get_or_create(code=code, defaults={"order": order})
    for parent_path, name, description in TREE:
        parent = Category.objects.get(path=parent_path) if parent_path else None
        Category.objects.get_or_create(
            parent=parent, slug=slugify(name), defaults={"name": name, "description": description}
        )
    author, _ = AuthorProfile.objects.get_or_create(
        user=author_user,
        defaults={
            "display_name": author_user.get_full_name(),
            "bio": "Massage therapist and trigger-point teacher with three decades of classes, "
            "writing the reference they wished they had as a student.",
        },
    )
    for muscle in MUSCLES:
        _load_muscle(muscle, author)
    _illustrate_gluteus_medius()
    _load_locked_article(TRIGGER_POINTS, author)
    SiteNotice.objects.get_or_create(
        message="New course open: How to frame a bodywork session.", defaults={"is_active": True}
    )


def _load_muscle(muscle, author):
    article, created = Article.objects.get_or_create(
        category=Category.objects.get(path=muscle["category"]),
        slug=muscle["slug"],
        defaults={
            "title": muscle["title"],
            "summary": muscle["summary"],
            "body": muscle["body"],
            "author": author,
            "status": Article.Status.PUBLISHED,
            "is_featured": muscle.get("featured", False),
        },
    )
    if not created:
        return
    facts = MuscleFacts.objects.create(
        article=article,
        muscle_name=muscle["muscle"],
        origin=muscle["origin"],
        insertion=muscle["insertion"],
        action_notes=muscle["action_notes"],
    )
    facts.actions.set(
        [Action.objects.get_or_create(slug=slugify(name), defaults={"name": name})[0] for name in muscle["actions"]]
    )
    facts.nerves.set(
        [Nerve.objects.get_or_create(slug=slugify(name), defaults={"name": name})[0] for name in muscle["nerves"]]
    )
    facts.levels.set(SpinalLevel.objects.filter(code__in=muscle["levels"]))


def _load_locked_article(article, author):
    # Needs the members demo's tiers; the library loaded on its own (as its
    # tests do) has none, and then goes without this article.
    tier = Tier.objects.filter(slug=article["tier"]).first()
    if tier is None:
        return
    Article.objects.get_or_create(
        category=Category.objects.get(path=article["category"]),
        slug=article["slug"],
        defaults={
            "title": article["title"],
            "summary": article["summary"],
            "body": article["body"],
            "author": author,
            "status": Article.Status.PUBLISHED,
            "visibility": Visibility.TIER,
            "min_tier": tier,
        },
    )


def _illustrate_gluteus_medius():
    """A labelled diagram of the lateral hip, drawn here and uploaded the way
    staff upload one, unless the article has illustrations already."""
    article = Article.objects.get(category__path=MUSCLES[0]["category"], slug="gluteus-medius")
    if article.illustrations.exists():
        return
    upload = SimpleUploadedFile("Gluteus medius, lateral hip.png", _draw_lateral_hip(), content_type="image/png")
    IllustrationForm(
        data={
            "alt_text": "Diagram of the right hip seen from the side: gluteus medius fans out from the outer "
            "surface of the ilium, below the iliac crest, and narrows to a tendon on the greater trochanter "
            "of the femur.",
            "caption": "Gluteus medius, right hip from the side (front to the right). Its back part lies under "
            "gluteus maximus, not drawn here, and gluteus minimus lies beneath it.",
            "position": 0,
        },
        files={"image": upload},
        instance=Illustration(article=article),
    ).save()


def _draw_lateral_hip():
    image = Image.new("RGB", (1200, 900), "#fbf8f3")
    draw = ImageDraw.Draw(image)
    font, small = ImageFont.load_default(size=30), ImageFont.load_default(size=24)
    ink, bone, bone_edge, muscle, fibre = "#222222", "#eadfc8", "#8a7a5c", "#c0503c", "#7d2a1c"

    crest = [(250, 330), (330, 240), (440, 180), (560, 155), (680, 165), (800, 205), (900, 260)]
    draw.polygon(
        [*crest, (870, 350), (760, 450), (640, 470), (520, 470), (420, 450), (330, 400)],
        fill=bone,
        outline=bone_edge,
        width=4,
    )
    draw.polygon([(640, 560), (770, 540), (760, 900), (660, 900)], fill=bone, outline=bone_edge, width=4)
    draw.ellipse([(630, 520), (790, 650)], fill=bone, outline=bone_edge, width=4)

    # The fan: from a band under the crest down to one tendon on the trochanter.
    origin = [(x, y + 40) for x, y in crest[1:-1]]
    tendon = [(735, 560), (700, 565)]
    draw.polygon([*origin, (840, 290), *tendon, (300, 360)], fill=muscle, outline=fibre, width=3)
    for x, y in origin:
        draw.line([(x, y), (718, 562)], fill=fibre, width=2)

    labels = [
        ("Iliac crest", (600, 70), (600, 160)),
        ("Gluteus medius", (40, 560), (470, 330)),
        ("Greater trochanter", (830, 660), (770, 610)),
        ("Femur", (820, 800), (750, 800)),
    ]
    for text, (x, y), target in labels:
        draw.text((x, y), text, fill=ink, font=font)
        box = draw.textbbox((x, y), text, font=font)
        middle = (box[1] + box[3]) // 2
        if target[0] > box[2]:
            start = (box[2] + 8, middle)
        elif target[0] < box[0]:
            start = (box[0] - 8, middle)
        else:
            start = ((box[0] + box[2]) // 2, box[3] + 6)
        draw.line([start, target], fill=ink, width=2)
        draw.ellipse([(target[0] - 5, target[1] - 5), (target[0] + 5, target[1] + 5)], fill=ink)
    draw.text((40, 30), "Right hip, lateral view", fill=ink, font=font)
    draw.text((40, 840), "Back (posterior)", fill=ink, font=small)
    draw.text((960, 840), "Front (anterior)", fill=ink, font=small)

    content = BytesIO()
    image.save(content, "PNG")
    return content.getvalue()
