from django.core.management.base import BaseCommand
from django.db import transaction

from anatomy import demo as anatomy_demo
from courses import demo as courses_demo
from members import demo as members_demo
from members.models import User


class Command(BaseCommand):
    help = "Load the demo site content. Safe to re-run: nothing is duplicated or overwritten."

    def handle(self, *args, **options):
        with transaction.atomic():
            sign_ins = members_demo.load()
            members_demo.load_tiers()  # before the library: one of its articles is for a tier
            courses_demo.load(instructor=User.objects.get(email=members_demo.EDITOR_EMAIL).get_full_name())
            anatomy_demo.load(author_user=User.objects.get(email=members_demo.EDITOR_EMAIL))
            members_demo.load_supporter_subscription()
            members_demo.load_posts()
        self.stdout.write(self.style.SUCCESS("Demo content is loaded. Demo sign-ins:"))
        for role, email, password in sign_ins:
            self.stdout.write(f"  {role:<13} {email:<24} password: {password}")
        self.stdout.write(
            "  The staff pages ask the editor to set up two-factor authentication first (any authenticator app);\n"
            "  until then the editor reads the site as a member, without the locked content."
        )
