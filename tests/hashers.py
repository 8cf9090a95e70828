from django.contrib.auth.hashers import PBKDF2PasswordHasher


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Django's own PBKDF2 at a few iterations: test users are made in
    milliseconds, and their hashes still verify in app processes the tests
    start with the production hasher list."""

    iterations = 1_000
