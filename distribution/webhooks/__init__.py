"""Webhooks for partners: each story published, updated, corrected or taken down is POSTed, signed
as Standard Webhooks says, to every endpoint an editor registered for it.

- ``receivers``: the publishing signals make deliveries and queue them (after the commit);
- ``messages``: the body (the story's ninjs, or only its identity once it is down) and signature;
- ``addresses``: the guard keeping messages off private networks;
- ``sending``: the worker's task, one attempt a run, retried on the Standard Webhooks schedule.

The models (endpoints, deliveries, attempts) are in distribution/models/webhooks.py, the admin in
distribution/admin/webhooks.py.
"""
