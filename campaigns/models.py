from django.db import models

from club.models import Club
from members.models import Member


class StageChange(models.Model):
    """One move of a member from one lifecycle stage to another: analytics reads time in stage."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="stage_changes")
    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="+")
    from_stage = models.CharField(max_length=12, choices=Member.Stage.choices, blank=True)
    to_stage = models.CharField(max_length=12, choices=Member.Stage.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["member", "-at"]),
            models.Index(fields=["club", "to_stage", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.from_stage or '—'} → {self.to_stage}"
