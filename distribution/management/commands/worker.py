"""``manage.py worker``: the task worker (django-tasks-db's db_worker), with the distribution clock
started first so the daily briefing and stalled mailings are looked after (distribution/clock.py)."""

from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from distribution import clock


class Command(DBWorkerCommand):
    help = "Run the background worker: newsletters, alerts, webhooks and feed pings."

    def handle(self, *args, **options):
        clock.start()
        return super().handle(*args, **options)
