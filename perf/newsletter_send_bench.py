"""How fast a newsletter goes out: a real worker (``manage.py worker``) sending one mailing to
--recipients confirmed subscribers through a real SMTP server on 127.0.0.1 (aiosmtpd's Sink, in a
process of its own, which accepts and discards).

    python -m perf.newsletter_send_bench [--recipients 5000] [--database-url URL] [--rate 0]

Builds a fresh database (default: a SQLite file under build/; --database-url postgres://… for
PostgreSQL, which is dropped and made again), makes the subscribers and a mailing of the rendered
sample briefing, then starts the worker and times from then until the mailing is sent. --rate is
NEWSROOM_NEWSLETTER_RATE (0: no limit, to measure what the machine can do). Prints messages per
second, and checks the send log holds one sent row per recipient.
"""

import argparse
import os
import subprocess
import sys
import time

from perf.harness import BUILD, PROJECT, free_port, manage, site_env, wait_for_port


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--rate", default="0", help="messages a second the worker may send (0: no limit)")
    args = parser.parse_args()

    BUILD.mkdir(exist_ok=True)
    run_dir = BUILD / "newsletter-bench"
    run_dir.mkdir(exist_ok=True)
    database_url = args.database_url or f"sqlite:///{run_dir / 'bench.sqlite3'}"
    fresh_database(database_url, run_dir)
    smtp_port = free_port()
    env = site_env(
        database_url,
        static_root=run_dir / "static",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        NEWSROOM_NEWSLETTER_RATE=args.rate,
        NEWSROOM_SITE_URL="https://news.example.org",
        # Today's briefing is made by the bench, not by the clock at its hour.
        NEWSROOM_BRIEFING_TIME="23:59:59",
    )
    manage(env, "migrate", "--verbosity", "0")
    os.environ.update(
        {k: v for k, v in env.items() if k in ("DATABASE_URL", "DJANGO_SECRET_KEY", "EMAIL_URL")}
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    mailing_id = prepare(args.recipients)

    sink = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{smtp_port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
        cwd=PROJECT,
    )
    worker = None
    try:
        wait_for_port(smtp_port)
        started = time.monotonic()
        worker = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "worker",
                "--interval",
                "0.05",
                "--no-startup-delay",
                "--no-reload",
            ],
            cwd=PROJECT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        sent = wait_until_sent(mailing_id, started)
        elapsed = time.monotonic() - started
    finally:
        for process in (worker, sink):
            if process is not None:
                process.terminate()
                process.wait(timeout=10)
    engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(
        f"{sent:,} recipients on {engine}: sent in {elapsed:.1f} s "
        f"({sent / elapsed:.0f} messages/s, worker start included); rate limit {args.rate or 'none'}"
    )


def fresh_database(database_url, run_dir):
    if database_url.startswith("sqlite:///"):
        path = database_url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        return
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def prepare(count):
    import django

    django.setup()
    from django.utils import timezone

    from distribution import emails, lists
    from distribution.models import Mailing, Subscriber, Subscription

    Subscriber.objects.bulk_create(
        [Subscriber(email=f"reader{n}@readers.example") for n in range(count)], batch_size=1000
    )
    now = timezone.now()
    Subscription.objects.bulk_create(
        [Subscription(subscriber_id=pk, list_key=lists.BRIEFING, confirmed_at=now)
         for pk in Subscriber.objects.values_list("pk", flat=True)],
        batch_size=1000,
    )  # fmt: skip
    subject = "The briefing: bench"
    html, text = emails.render(newsletter=lists.BRIEFING_LIST, subject=subject, intro="Bench.", articles=[])
    mailing = Mailing.objects.create(
        kind="briefing", list_key=lists.BRIEFING, subject=subject, html=html, text=text
    )
    from distribution.sending import send_mailing

    send_mailing.enqueue(mailing.pk)
    return mailing.pk


def wait_until_sent(mailing_id, started, timeout=1800):
    from distribution.models import Delivery, Mailing
    from distribution.models.newsletters import DeliveryStatus, MailingStatus

    while Mailing.objects.get(pk=mailing_id).status != MailingStatus.SENT:
        if time.monotonic() - started > timeout:
            raise SystemExit(f"not sent within {timeout} s")
        time.sleep(0.2)
    log = Delivery.objects.filter(mailing_id=mailing_id)
    sent = log.filter(status=DeliveryStatus.SENT).count()
    if sent != log.count():
        raise SystemExit(f"only {sent} of {log.count()} recipients were sent the mailing")
    return sent


if __name__ == "__main__":
    main()
