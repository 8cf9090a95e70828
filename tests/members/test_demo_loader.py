from io import StringIO

from allauth.account.models import EmailAddress
from django.core.management import call_command

from members.models import User


def load():
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_demo_loader_prints_sign_ins_and_never_duplicates(db):
    first = load()
    for email in ["editor@example.com", "member@example.com", "supporter@example.com"]:
        assert email in first
    counts = (User.objects.count(), EmailAddress.objects.count())
    assert counts == (3, 3)
    assert load() == first
    assert (User.objects.count(), EmailAddress.objects.count()) == counts


def test_demo_sign_ins_work(client, db):
    output = load()
    line = next(line for line in output.splitlines() if "member@example.com" in line)
    password = line.split("password:")[1].strip()
    response = client.post("/accounts/login/", {"login": "member@example.com", "password": password})
    assert response.status_code == 302
    assert client.get("/account/").status_code == 200


def test_rerunning_keeps_what_staff_changed(db):
    load()
    User.objects.filter(email="member@example.com").update(first_name="Changed")
    load()
    assert User.objects.get(email="member@example.com").first_name == "Changed"
