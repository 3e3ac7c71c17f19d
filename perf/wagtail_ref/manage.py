#!/usr/bin/env python
"""The Wagtail reference site's manage.py (run with build/wagtail-venv's Python)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsref.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
