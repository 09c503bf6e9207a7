"""Create an editor: a staff account in the Editors group, with a password that passes the
site's password validation (AUTH_PASSWORD_VALIDATORS).

    manage.py create_editor NAME [--email ADDRESS]      # asks for the password twice
    DJANGO_EDITOR_PASSWORD=... manage.py create_editor NAME --noinput
"""

import getpass
import os
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

PASSWORD_VARIABLE = "DJANGO_EDITOR_PASSWORD"


class Command(BaseCommand):
    help = (
        "Create an editor: a staff account in the Editors group. Asks for the password twice; "
        f"with --noinput, reads it from {PASSWORD_VARIABLE}. The password must pass the site's "
        "password validation."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("username", help="the name the editor signs in with")
        parser.add_argument("--email", default="", help="the editor's e-mail address")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help=f"do not ask for anything: the password comes from {PASSWORD_VARIABLE}",
        )

    def handle(self, *args, username, email, interactive, **options):
        User = get_user_model()
        username = User.normalize_username(username.strip())
        if not username:
            raise CommandError("Give the editor's user name.")
        if User._default_manager.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        try:
            group = Group.objects.get(name="Editors")
        except Group.DoesNotExist:
            raise CommandError(
                "There is no Editors group: run `manage.py migrate` first."
            ) from None
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(f"{email!r} is not an e-mail address.") from None
        candidate = User(username=username, email=email, is_staff=True)
        if interactive:
            try:
                password = self.ask_password(candidate, options.get("stdin") or sys.stdin)
            except KeyboardInterrupt:
                raise CommandError("Cancelled: no editor was created.") from None
        else:
            password = os.environ.get(PASSWORD_VARIABLE, "")
            if not password:
                raise CommandError(
                    f"Set {PASSWORD_VARIABLE} to the password, or leave out --noinput."
                )
            try:
                validate_password(password, candidate)
            except ValidationError as error:
                raise CommandError(f"{PASSWORD_VARIABLE}: {' '.join(error.messages)}") from None
        with transaction.atomic():
            user = User._default_manager.create_user(
                username, email, password, is_staff=True, is_superuser=False
            )
            user.groups.add(group)
        self.stdout.write(f"Editor {username!r} created: they can sign in at /admin/.")

    def ask_password(self, candidate, stdin):
        if not (hasattr(stdin, "isatty") and stdin.isatty()):
            raise CommandError(
                f"No terminal to ask for the password: use --noinput with {PASSWORD_VARIABLE}."
            )
        while True:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                self.stderr.write("The two passwords did not match. Try again.")
                continue
            try:
                validate_password(password, candidate)
            except ValidationError as error:
                self.stderr.write("\n".join(error.messages))
                continue
            return password
