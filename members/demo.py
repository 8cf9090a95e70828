"""Demo users for `manage.py load_demo`. Existing rows are left as they are."""

from allauth.account.models import EmailAddress

from .models import User

EDITOR_EMAIL = "editor@example.com"
DEMO_USERS = [
    # (email, password, first name, last name, role)
    (EDITOR_EMAIL, "editor-demo-pass", "Dana", "Whitfield", "staff editor"),
    ("member@example.com", "member-demo-pass", "Sam", "Reader", "free member"),
    ("supporter@example.com", "supporter-demo-pass", "Alex", "Patron", "supporter"),
]


def load():
    """Create the demo users; returns (role, email, password) for each."""
    sign_ins = []
    for email, password, first_name, last_name, role in DEMO_USERS:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "is_staff": role == "staff editor",
                "is_superuser": role == "staff editor",
            },
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        sign_ins.append((role, email, password))
    return sign_ins
