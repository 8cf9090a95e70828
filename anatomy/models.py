from django.db import models


class SiteNotice(models.Model):
    """A banner staff can switch on for every page (a class date, a holiday)."""

    message = models.CharField(max_length=300)
    link = models.URLField(blank=True, help_text="Optional page the notice points to.")
    is_active = models.BooleanField("show on the site", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self):
        return self.message

    @classmethod
    def current(cls):
        return cls.objects.filter(is_active=True).first()
