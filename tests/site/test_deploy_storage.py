"""Media on S3-compatible object storage, against moto's S3 server on a
loopback port: locked files (illustrations and their renditions among them,
locked with their article) are private in the bucket and reached only
through a short-lived signed URL that the site hands out after the access check.

moto does not check a signed URL's signature or expiry (real S3 does), so the
expiry is asserted on the URL the site signs, not by waiting for a refusal."""

import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime
from io import BytesIO

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from anatomy import images
from anatomy.forms import IllustrationForm
from anatomy.models import Article, Illustration
from courses.models import Handout, Lesson
from members.models import ExclusivePost, PostFile, Subscription, Tier, Visibility
from tests.anatomy import factories
from tests.conftest import make_user
from tests.courses.conftest import VIDEO_BYTES, make_course
from tests.services import require_postgres
from tests.stripe_harness import ROOT, free_port

pytestmark = pytest.mark.django_db

KEYS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}
SIGNED_URL_SECONDS = 30
PDF = b"%PDF-1.4 Chapter 4: the lateral hip"


@pytest.fixture(scope="module")
def s3_endpoint():
    require_postgres()  # starts a server process: the PostgreSQL pass only
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("moto's S3 server did not start")
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def bucket(settings, monkeypatch, s3_endpoint):
    """A fresh bucket set up as docs/deploy.md says: anyone may read media/,
    nothing else; the site's storages pointed at it as config/settings.py does."""
    name = f"anatomy-{uuid.uuid4().hex[:12]}"
    admin = boto3.client("s3", endpoint_url=s3_endpoint, aws_access_key_id="testing", aws_secret_access_key="testing")
    admin.create_bucket(Bucket=name)
    public_media = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/media/*"}
        ],
    }
    admin.put_bucket_policy(Bucket=name, Policy=json.dumps(public_media))
    common = {**KEYS, "endpoint_url": s3_endpoint, "bucket_name": name, "signature_version": "s3v4"}
    common["file_overwrite"] = False
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**common, "location": "media", "querystring_auth": False},
        },
        "protected": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**common, "location": "protected", "querystring_expire": SIGNED_URL_SECONDS},
        },
    }
    # Locked-file fields take their storage when the models load (settings are
    # read before that in production); point them at the bucket for this test.
    for model, field in [(PostFile, "file"), (Lesson, "video"), (Lesson, "captions"), (Handout, "file")]:
        monkeypatch.setattr(model._meta.get_field(field), "storage", storages["protected"])
    monkeypatch.setattr(images.illustration_storage(), "_wrapped", storages["protected"])
    return {"name": name, "url": f"{s3_endpoint}/{name}", "admin": admin}


def fetch(url, **headers):
    """(status, headers, body) of a plain, unsigned-by-us HTTP GET."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def keys(bucket, prefix):
    listing = bucket["admin"].list_objects_v2(Bucket=bucket["name"], Prefix=prefix)
    return [item["Key"] for item in listing.get("Contents", [])]


def jpeg(size=(1200, 800)):
    buffer = BytesIO()
    Image.linear_gradient("L").resize(size).convert("RGB").save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def locked_post(db):
    patron = Tier.objects.create(
        name="Patron", slug="patron", rank=2, monthly_price=1500, benefits="-", stripe_price_id="price_patron"
    )
    post = ExclusivePost.objects.create(
        title="Chapter 4", slug="chapter-4", body="Locked.", visibility=Visibility.TIER, min_tier=patron,
        is_published=True,
    )  # fmt: skip
    PostFile.objects.create(post=post, title="Chapter 4 (PDF)", file=ContentFile(PDF, name="chapter-4.pdf"))
    return post


def supporter_of(tier):
    user = make_user("patron@test.example")
    Subscription.objects.create(user=user, stripe_id="sub_patron", tier=tier, status="active")
    return user


def test_illustrations_are_private_in_the_bucket_and_served_after_the_access_check(bucket, client):
    article = factories.article(factories.category("Hip Muscles"), "Gluteus Medius")
    form = IllustrationForm(
        data={"alt_text": "The lateral hip.", "caption": "", "position": 0},
        files={"image": SimpleUploadedFile("diagram.jpg", jpeg())},
        instance=Illustration(article=article),
    )
    assert form.is_valid(), form.errors
    illustration = form.save()

    assert illustration.image.name.startswith("illustrations/diagram-")
    assert f"protected/{illustration.image.name}" in keys(bucket, "protected/illustrations/")
    assert len(keys(bucket, "protected/CACHE/images/")) == 6  # three widths, WebP and JPEG, made on saving
    assert not keys(bucket, "media/")

    # Pages link to the site's view, which outlives any signature; it redirects to a fresh signed URL.
    rendition_url = illustration.webp_480.url
    assert rendition_url.startswith("/illustration-files/CACHE/images/illustrations/diagram-")
    assert rendition_url in client.get(article.get_absolute_url()).content.decode()
    response = client.get(rendition_url)
    assert response.status_code == 302
    signed = response["Location"]
    assert signed.startswith(f"{bucket['url']}/protected/CACHE/images/") and "Signature" in signed
    status, headers, body = fetch(signed)
    assert (status, headers["Content-Type"]) == (200, "image/webp")
    with Image.open(BytesIO(body)) as rendition:
        assert (rendition.format, rendition.width) == ("WEBP", 480)
    assert fetch(signed.split("?")[0])[0] == 403

    # Locked with its article: not even a redirect.
    Article.objects.filter(pk=article.pk).update(visibility=Visibility.MEMBERS)
    locked = client.get(rendition_url)
    assert locked.status_code == 404 and "Location" not in locked


def test_a_locked_file_is_a_signed_redirect_only_after_the_access_check(bucket, client, locked_post):
    file_url = locked_post.files.get().get_absolute_url()
    stored = keys(bucket, "protected/posts/")
    assert len(stored) == 1 and stored[0].endswith(".pdf")
    assert not keys(bucket, "media/")

    anonymous = client.get(file_url)
    assert anonymous.status_code == 404
    assert "Location" not in anonymous
    assert bucket["name"] not in anonymous.content.decode()

    client.force_login(supporter_of(locked_post.min_tier))
    response = client.get(file_url)
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    signed = response["Location"]
    assert signed.startswith(f"{bucket['url']}/protected/posts/chapter-4")
    status, headers, body = fetch(signed)
    assert (status, body) == (200, PDF)
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"].startswith("inline;")

    # The same object without the signature is refused: nothing locked is public.
    assert fetch(signed.split("?")[0])[0] == 403


def test_the_signed_url_is_short_lived(bucket, client, locked_post):
    client.force_login(supporter_of(locked_post.min_tier))
    before = datetime.now(UTC).replace(microsecond=0)
    query = urllib.parse.parse_qs(
        urllib.parse.urlsplit(client.get(locked_post.files.get().get_absolute_url())["Location"]).query
    )
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert query["X-Amz-Expires"] == [str(SIGNED_URL_SECONDS)]
    assert 0 <= (signed_at - before).total_seconds() < 5
    assert "X-Amz-Signature" in query


def test_a_lesson_video_plays_in_ranges_and_a_handout_downloads_from_the_bucket(bucket, client, member):
    course = make_course("free-course")
    lesson = course.lessons.get()
    client.force_login(member)

    video = client.get(f"/courses/{course.slug}/lessons/{lesson.slug}/video/")
    assert video.status_code == 302
    status, headers, body = fetch(video["Location"], Range="bytes=100-1099")
    assert status == 206
    assert headers["Content-Type"] == "video/webm"
    assert body == VIDEO_BYTES[100:1100]

    handout = client.get(f"/courses/{course.slug}/lessons/{lesson.slug}/handouts/{lesson.handouts.get().pk}/")
    status, headers, body = fetch(handout["Location"])
    assert (status, body) == (200, b"%PDF-1.4 notes")
    assert headers["Content-Disposition"] == 'attachment; filename="notes.pdf"'
