"""Create one demo user per role with known passwords, for the local demo only."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from psaportal.accounts import roles

DEMO_USERS = [
    ("admin", roles.ADMIN, "Ada", "Admin"),
    ("manager", roles.MANAGER, "Max", "Manager"),
    ("tech", roles.TECHNICIAN, "Tess", "Technician"),
]


class Command(BaseCommand):
    help = "Create demo users (admin, manager, tech) and print their credentials."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo users are for the local demo only (DEBUG is off).")
        User = get_user_model()
        self.stdout.write("Demo users (username / password):")
        for username, role, first_name, last_name in DEMO_USERS:
            password = f"{username}-demo-pass"
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "last_name": last_name,
                    "email": f"{username}@example.com",
                },
            )
            user.is_active = True
            user.set_password(password)
            user.save()
            roles.set_role(user, role)
            self.stdout.write(f"  {role:<10} {username} / {password}")
