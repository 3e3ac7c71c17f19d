"""``refresh_cards``: work out and store the card data of stories lacking it (articles/cards.py)."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q

from articles.card_data import CARD_VERSION
from articles.cards import CHUNK, refresh_cards
from articles.models import Article


class Command(BaseCommand):
    help = (
        "Store each story's card data (bylines, topics, corrections, lead picture), which pages read "
        "instead of joining those tables. Saves keep it current; run this once after upgrading to a "
        "version that added or changed it (stories without it are served, only slower), or with --all "
        "after changing where media files are served from, as cards hold the pictures' addresses."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="every story, not only those lacking it")

    def handle(self, *args, all=False, **options):
        stories = Article.objects.all()
        if not all:
            stories = stories.filter(Q(card__isnull=True) | ~Q(card__v=CARD_VERSION))
        done, last = 0, 0
        while True:
            # A chunk at a time by id, each in its own transaction: memory and locks stay small.
            ids = list(stories.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK])
            if not ids:
                break
            with transaction.atomic():
                refresh_cards(ids)
            done, last = done + len(ids), ids[-1]
        self.stdout.write(f"{done} {'story' if done == 1 else 'stories'} refreshed.")
