"""``load_vocabulary``: the controlled vocabulary auto-tagging reads. The work is in articles.autotag."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from articles.autotag import DEFAULT_VOCABULARY, VocabularyError, load_vocabulary_file


class Command(BaseCommand):
    help = (
        "Load topic tags with their descriptions and aliases from a vocabulary file (JSON: groups "
        "of {name, description, aliases}). Missing tags are created; existing ones, found by name "
        "ignoring case, get the file's description and aliases, replacing what was there. Safe to "
        "run again: an unchanged file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            type=Path,
            default=DEFAULT_VOCABULARY,
            help=f"default: {DEFAULT_VOCABULARY.relative_to(settings.BASE_DIR)}",
        )

    def handle(self, *args, path, verbosity, **options):
        try:
            report = load_vocabulary_file(path)
        except VocabularyError as error:
            raise CommandError(str(error)) from None
        if verbosity > 1:
            for label, names in (("created", report.created), ("updated", report.updated)):
                for name in names:
                    self.stdout.write(f"{label}: {name}")
        self.stdout.write(report.summary())
