import io
import os
from getpass import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from staff import twofactor
from staff.roles import ROLE_GROUPS


class Command(BaseCommand):
    help = "Create a staff account for an editor or a moderator, in that role's group."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", choices=sorted(ROLE_GROUPS), required=True)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-from-env",
            metavar="VARIABLE",
            help="Read the password from this environment variable instead of prompting.",
        )
        parser.add_argument(
            "--2fa",
            action="store_true",
            dest="second_factor",
            help="Sign-in takes a code from a phone app: print the app's enrolment address "
            "and QR code here (always done when STAFF_REQUIRE_2FA is on).",
        )

    def handle(self, *args, username, role, email, password_from_env, second_factor, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user called {username!r} already exists.")
        password = self.read_password(password_from_env)
        user = User(username=username, email=email, is_staff=True)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        user.set_password(password)
        user.save()
        # The group and its permissions come from a data migration (staff 0001).
        user.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))
        self.stdout.write(f"Created {role} {username!r}: sign in at /admin/.")
        if second_factor or twofactor.second_factor_mandatory(user):
            self.print_enrolment(user)

    def print_enrolment(self, user) -> None:
        """The account's second factor, printed for a phone app: an otpauth:// address
        and a QR code drawn in text. The device counts from now on (the key is handed
        over here, not on a web page), so the first sign-in already asks for a code."""
        device = twofactor.device_issue(user)
        self.stdout.write(
            "\nSigning in takes a code from an authenticator app. Scan this QR code with "
            "the app on the phone, or add the address or key by hand. (Lost it? A superuser "
            "deletes the account's TOTP device in the admin; the next sign-in sets up a new "
            "one.)\n"
        )
        drawing = io.StringIO()  # the command's stdout ends each write with a newline
        twofactor.enrolment_qr(device).terminal(out=drawing, compact=True)
        self.stdout.write(drawing.getvalue())
        self.stdout.write(f"\nAddress: {device.config_url}")
        self.stdout.write(f"Key: {twofactor.enrolment_key(device)}")

    def read_password(self, variable: str | None) -> str:
        if variable:
            password = os.environ.get(variable, "")
            if not password:
                raise CommandError(f"Environment variable {variable} is empty or unset.")
            return password
        password = getpass("Password: ")
        if password != getpass("Password (again): "):
            raise CommandError("The passwords do not match.")
        return password
