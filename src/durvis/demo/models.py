"""Tables of the demo identity provider (demo mode only)."""

from django.db import models


class AuthorizationCode(models.Model):
    """An OpenID Connect authorization code the demo provider issued: single-use (the token
    endpoint deletes it as it reads it), short-lived, bound to the client, the redirect address
    and the PKCE challenge. Only the code's SHA-256 is stored."""

    code_hash = models.CharField(max_length=64, unique=True)
    client_id = models.CharField(max_length=100)
    redirect_uri = models.CharField(max_length=500)
    code_challenge = models.CharField(max_length=128)
    nonce = models.CharField(max_length=255, blank=True)
    claims = models.JSONField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"demo authorization code for {self.client_id} until {self.expires_at:%H:%M:%S}"


class DemoDataset(models.Model):
    """The demo data is in this database: one row, written in the same transaction as the data
    (`durvis.demo.loader`). `load_demo` loads only while it is missing, so what users changed
    afterwards stays; `load_demo --reset` restores the demo records and notes when."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    loaded_at = models.DateTimeField()
    reset_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="demo_dataset_one_row")]

    def __str__(self) -> str:
        return f"demo data loaded at {self.loaded_at:%Y-%m-%d %H:%M}"
