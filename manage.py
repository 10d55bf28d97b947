#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""
import os
import sys

if __name__ == "__main__":
    if sys.version_info < (3, 12):
        sys.exit("Autonomia needs Python 3.12 or newer (Django 6). Use the .venv made by .ci/bootstrap.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autonomia.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
