"""How long an editor waits to see an update they post: the admin's update form over HTTP, then the
story's page as an anonymous reader gets it (through the page cache), on the site `make serve` runs.

    python -m perf.live_post_bench [--updates 20] [--existing 500]

Builds a fresh PostgreSQL database (--database-url, default LIVE_POST_DATABASE_URL or
.../newsroom_live_post) with a small archive, makes its newest story live with --existing updates,
and serves it with gunicorn (2 workers) and the page cache on Redis (db 10, emptied first). An editor
signs in to the admin with the real form, then posts --updates published updates one after another,
each through "Post an update" (GET the form, POST it). For each it times the POST (until the
redirect back to the empty form) and, from the moment the POST was sent, how long until the
story's public page shows the update to a reader with no cookie. It prints p50 and max of both; the
issue's target is under a second to appear. Traffic goes to 127.0.0.1 only.
"""

import argparse
import os
import re
import statistics
import time

from perf.harness import BUILD, Site, seeded_postgres, site_env

DATABASE_URL = os.environ.get(
    "LIVE_POST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/newsroom_live_post"
)
REDIS_URL = os.environ.get("LIVE_POST_REDIS_URL", "redis://127.0.0.1:6379/10")
PASSWORD = "a long password for the bench only"
VISIBLE_TIMEOUT = 10.0


def make_story_and_editor(existing):
    from django.contrib.auth.models import Group, User

    from articles.models import Article
    from live.models import LiveStory, LiveUpdate, UpdateStatus

    article = Article.objects.published().newest_first().first()
    story = LiveStory.objects.create(article=article, key_points="- Talks resumed")
    LiveUpdate.objects.bulk_create(
        LiveUpdate(story=story, status=UpdateStatus.PUBLISHED, body=f"Earlier update {n}.",
                   body_html=f"<p>Earlier update {n}.</p>", published_at=article.published_at)
        for n in range(existing)
    )  # fmt: skip
    editor = User.objects.create_user("bench-editor", password=PASSWORD, is_staff=True)
    editor.groups.add(Group.objects.get(name="Editor"))
    return story


def csrf_token(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def main():
    import requests

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=20, help="updates to post and time")
    parser.add_argument("--existing", type=int, default=500, help="updates the story has already")
    parser.add_argument("--articles", type=int, default=1000, help="archive size (perf/seed.py)")
    parser.add_argument("--database-url", default=DATABASE_URL, help="dropped and made afresh (PostgreSQL)")
    parser.add_argument("--redis-url", default=REDIS_URL, help="emptied first")
    options = parser.parse_args()

    env = site_env(options.database_url, redis_url=options.redis_url, static_root=BUILD / "live-post-static")
    print(f"Preparing {options.articles} articles and a live story on {env['DATABASE_URL']} …", flush=True)
    seeded_postgres(env, options.articles)
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connections

    story = make_story_and_editor(options.existing)
    story_path, story_pk = story.article.get_absolute_url(), story.pk
    connections.close_all()

    posting, appearing = [], []
    with Site(env, 2) as site:
        desk, reader = requests.Session(), requests.Session()
        login = desk.get(f"{site.url}/admin/login/", timeout=10)
        desk.post(
            f"{site.url}/admin/login/",
            data={"username": "bench-editor", "password": PASSWORD, "next": "/admin/",
                  "csrfmiddlewaretoken": csrf_token(login.text)},
            headers={"Referer": f"{site.url}/admin/login/"},
            timeout=10,
        )  # fmt: skip
        add_url = f"{site.url}/admin/live/liveupdate/add/?story={story_pk}"
        reader.get(f"{site.url}{story_path}", timeout=10)  # the page is cached before each post
        for n in range(options.updates):
            form = desk.get(add_url, timeout=10)
            headline = f"Bench update {n} {time.time_ns()}"
            data = {
                "csrfmiddlewaretoken": csrf_token(form.text), "story": story_pk, "headline": headline,
                "body": f"Posted by the bench, number {n}.", "publish": "1", "_save": "Save",
            }  # fmt: skip
            sent = time.perf_counter()
            answer = desk.post(
                add_url, data=data, headers={"Referer": add_url}, allow_redirects=False, timeout=10
            )
            posted = time.perf_counter()
            if answer.status_code != 302:
                raise SystemExit(
                    f"The update form answered {answer.status_code}, not the redirect after a post"
                )
            while True:
                page = reader.get(f"{site.url}{story_path}", timeout=10)
                if headline in page.text:
                    break
                if time.perf_counter() - sent > VISIBLE_TIMEOUT:
                    raise SystemExit(
                        f"Update {n} was not on the story's page {VISIBLE_TIMEOUT:.0f} s after posting"
                    )
            posting.append(posted - sent)
            appearing.append(time.perf_counter() - sent)

    def line(name, values):
        values_ms = [value * 1000 for value in values]
        return f"{name:<34} p50 {statistics.median(values_ms):7.1f} ms   max {max(values_ms):7.1f} ms"

    print(f"{options.updates} updates posted to a live story of {options.existing}, gunicorn 2 workers:")
    print(line("admin POST, until its redirect", posting))
    print(line("POST sent, until on the public page", appearing))
    verdict = "MET" if max(appearing) < 1.0 else "MISSED"
    print(f"Under a second to appear: {verdict} (slowest {max(appearing) * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
