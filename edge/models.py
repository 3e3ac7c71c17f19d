from django.db import models


class Purge(models.Model):
    """Pages to remove from one proxy or CDN (a purger, by name), recorded when a change retires
    them and marked delivered once the purger has taken them. One still undelivered after an attempt
    is what /healthz reports; the next delivery to the same purger carries its keys too."""

    purger = models.CharField(max_length=200, help_text="A proxy's base URL, or a CDN purger's name.")
    keys = models.TextField(help_text="Surrogate keys, separated by spaces.")
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # What is still to deliver, per purger: read by every delivery and every /healthz.
            models.Index(
                fields=["purger", "id"], condition=models.Q(delivered_at=None), name="edge_purge_pending"
            ),
            # Delivered records are pruned after a day.
            models.Index(fields=["delivered_at"], name="edge_purge_delivered"),
        ]

    def __str__(self):
        state = "delivered" if self.delivered_at else f"undelivered after {self.attempts} attempt(s)"
        return f"{self.purger}: {self.keys[:80]} ({state})"
