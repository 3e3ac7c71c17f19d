"""``load_stories DIR [--limit N]``: the stories perf/generate.py wrote (Markdown with front matter) as
live news pages under one news index, the site's root, with their authors and tags."""

import json
from datetime import datetime
from html import escape
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.text import slugify
from wagtail.models import Page, Site

from news.models import Author, NewsIndexPage, NewsPage, NewsTagIndexPage


def read(path):
    """(front matter, Markdown body) of a generated file: its front matter values are JSON."""
    text = path.read_text(encoding="utf-8")
    _, head, body = text.split("---\n", 2)
    meta = {}
    for line in head.splitlines():
        key, _, value = line.partition(": ")
        meta[key] = json.loads(value)
    return meta, body


def rich_text(markdown):
    """The generated bodies hold paragraphs and "## " subheadings only."""
    blocks = []
    for block in markdown.strip().split("\n\n"):
        if block.startswith("## "):
            blocks.append(f"<h2>{escape(block[3:])}</h2>")
        else:
            blocks.append(f"<p>{escape(block)}</p>")
    return "".join(blocks)


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)
        parser.add_argument("--limit", type=int, default=None)

    def handle(self, folder, limit, **options):
        files = sorted(folder.rglob("*.md"))[:limit]
        with transaction.atomic():
            root = Page.get_first_root_node()
            index = NewsIndexPage(title="News", slug="news")
            root.add_child(instance=index)
            index.add_child(instance=NewsTagIndexPage(title="Tags", slug="tags"))
            site = Site.objects.get(is_default_site=True)
            site.root_page, site.hostname, site.port = index, "127.0.0.1", 80
            site.save()
            Page.objects.filter(depth=2).exclude(pk=index.pk).delete()  # Wagtail's welcome page
            authors = {}
            for number, path in enumerate(files):
                meta, body = read(path)
                if meta.get("status") != "published" or "published_at" not in meta:
                    continue  # Newsroom keeps these from readers; the reference site never has them
                names = meta.get("authors", [])
                for name in names:
                    if name not in authors:
                        authors[name] = Author.objects.create(name=name)
                page = NewsPage(
                    title=meta["title"],
                    slug=f"{slugify(meta['title'])[:200]}-{number}",
                    date=datetime.fromisoformat(meta["published_at"]),
                    intro=meta.get("dek", "")[:1000],
                    body=rich_text(body),
                )
                page.tags.set(meta.get("tags", []))
                page.authors.set([authors[name] for name in names])
                index.add_child(instance=page)
                if number % 1000 == 999:
                    self.stdout.write(f"{number + 1} stories", ending="\n")
        self.stdout.write(f"Loaded {len(files)} stories.")
