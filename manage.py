#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

# Commands that never open a database connection: they run without starting the embedded
# PostgreSQL. Every other command starts it (or attaches to it) when DATABASE_URL is unset.
WITHOUT_DATABASE = {"check", "collectstatic", "findstatic", "help", "version"}


def needs_database(argv: list[str]) -> bool:
    command = argv[1] if len(argv) > 1 else "help"
    if command == "check":
        # `check --database default` runs the database's own checks.
        return any(arg.startswith("--database") for arg in argv[2:])
    return command not in WITHOUT_DATABASE and not command.startswith("-")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    from django.core.management import execute_from_command_line

    if needs_database(sys.argv):
        from newsroom.localdb import ensure_started

        ensure_started()
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
