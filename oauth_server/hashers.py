"""How client secrets are stored (django-oauth-toolkit's CLIENT_SECRET_HASHER).

Every client secret this server stores is machine-made: 128 random characters from
django-oauth-toolkit's generator (registrations, organization clients), about 760 bits. A slow key
derivation protects passwords people choose; against a secret like that it adds nothing, and it cost
a second of CPU per registration, inside the registration's transaction (on SQLite, while holding
the database's only write lock, so a burst of registrations made every other writer wait past its
timeout), and another second per confidential client's token request. Personal access tokens are
stored the same way for the same reason (an HMAC-SHA256 digest, accounts/tokens.py).

Secrets stored before keep their own hasher (PBKDF2 with Django's iterations): the algorithm is
read from each stored value, so they still verify."""

from __future__ import annotations

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class ClientSecretHasher(PBKDF2PasswordHasher):
    """PBKDF2-SHA256 with a salt and 1,000 iterations: about a millisecond."""

    algorithm = "pbkdf2_sha256_client_secret"
    iterations = 1_000
