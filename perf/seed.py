"""Fill a database with N public articles of realistic shape, fast (bulk writes), for load tests.

Run inside Django: ``python manage.py shell -c "from perf.seed import seed; seed(10000)"``, as
``perf.harness.build_site`` does. The paragraphs are the sample coverage's, as the file generator
(perf/generate.py) takes them apart, so search, feeds and pages have real work to do.
"""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from articles import search
from articles.models import (
    Article,
    ArticleAuthor,
    Author,
    Section,
    Status,
    Tag,
    TaggedArticle,
    derive_from_body,
)
from perf.generate import Material

SECTIONS = ["Diplomacy", "Asia", "Europe", "Americas", "Middle East", "Security"]
AUTHORS = ["Ana Ruiz", "Li Wei", "Sam Okafor", "Marta Nowak", "Hiro Tanaka", "Foreign Desk"]
TAGS = [
    "China", "United States", "Antony Blinken", "Trade", "Human rights", "Taiwan", "Russia", "Ukraine",
    "Climate change", "Cybersecurity", "Sanctions", "Public health", "Nuclear nonproliferation", "Iran",
]  # fmt: skip
WORDS = [
    "talks", "envoy", "summit", "ministers", "tariffs", "sanctions", "ceasefire", "delegation", "treaty",
    "accord", "visit", "border", "negotiators", "embassy", "council", "dialogue", "alliance", "tensions",
]  # fmt: skip


def seed(count, *, seed_value=7, batch=1000):
    """Create ``count`` public articles (plus sections, authors, tags) and index them for search."""
    rng = random.Random(seed_value)
    paragraphs = Material.from_samples().paragraphs
    sections = [Section.objects.get_or_create(name=n, defaults={"slug": slugify(n), "position": i})[0]
                for i, n in enumerate(SECTIONS)]  # fmt: skip
    authors = [Author.objects.get_or_create(name=n, defaults={"slug": slugify(n)})[0] for n in AUTHORS]
    tags = [Tag.objects.get_or_create(name=n, defaults={"slug": slugify(n)})[0] for n in TAGS]
    now = timezone.now()
    start = Article.objects.count()
    last_before = Article.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for offset in range(0, count, batch):
        with transaction.atomic():
            rows = []
            for n in range(offset, min(offset + batch, count)):
                words = rng.sample(WORDS, 4)
                headline = f"{words[0].title()} and {words[1]}: {words[2]} over {words[3]} ({start + n})"
                body = "\n\n".join(rng.sample(paragraphs, 5))
                body_html, word_count = derive_from_body(body)
                rows.append(
                    Article(
                        headline=headline,
                        slug=f"{slugify(headline)}",
                        dek=rng.choice(paragraphs)[:280],
                        body=body,
                        body_html=body_html,
                        word_count=word_count,
                        section=rng.choice(sections),
                        dateline="BEIJING",
                        status=Status.PUBLISHED,
                        published_at=now - timedelta(minutes=10 * (start + n) + 5),
                        announced=True,  # an archive that went out long ago, not news to announce
                    )
                )
            created = Article.objects.bulk_create(rows)
            ArticleAuthor.objects.bulk_create(
                ArticleAuthor(article=a, author=author, position=i, published_at=a.released_at)
                for a in created
                for i, author in enumerate(rng.sample(authors, 2))
            )
            TaggedArticle.objects.bulk_create(
                # bulk_create skips TaggedArticle.save(), which copies the story's release time.
                TaggedArticle(content_object=a, tag=tag, published_at=a.released_at)
                for a in created
                for tag in rng.sample(tags, 3)
            )
    search.rebuild_index()
    lead_with_pictures(Article.objects.filter(pk__gt=last_before), rng)
    return Article.objects.count() - start


def lead_with_pictures(articles, rng, share=2 / 3):
    """Give ``share`` of ``articles`` a lead picture, one of the sample coverage's (content/pictures/),
    as a desk's archive has: every page then has pictures to fetch and to draw."""
    from django.conf import settings

    from photos.checks import check_upload
    from photos.library import store_photo
    from photos.models import LeadImage, Photo

    photos = []
    for name in ("arrival.jpg", "talks.jpg"):
        with (settings.BASE_DIR / "content" / "pictures" / name).open("rb") as file:
            checked = check_upload(file)
        photos.append(
            Photo.objects.filter(checksum=checked.checksum).first()
            or store_photo(checked, alt_text=f"Sample picture {name}", credit="Newsroom graphics desk")
        )
    ids = list(articles.values_list("pk", flat=True))
    LeadImage.objects.bulk_create(
        (LeadImage(article_id=pk, photo=rng.choice(photos)) for pk in ids if rng.random() < share),
        batch_size=1000,
    )
