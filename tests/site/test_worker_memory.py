"""What a web worker loads: code the site never runs stays out of its memory."""

import json

from tests.site.test_settings import PRODUCTION, manage

# A worker's whole URLconf and allauth's sign-in stages, as a sign-in runs them.
LOADS = """
import json, sys
from importlib import import_module
from django.conf import settings
from django.urls import get_resolver
import_module(settings.ROOT_URLCONF)
get_resolver()._populate()
import allauth.mfa.stages
before = [name for name in ("fido2", "cryptography.hazmat") if name in sys.modules]
from allauth.mfa.webauthn.internal import auth
auth.WebAuthn  # used, it loads
print(json.dumps({"before": before, "after": "fido2" in sys.modules}))
"""


def test_webauthn_which_is_off_is_not_loaded_until_used():
    result = manage("shell", "-c", LOADS, env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == {"before": [], "after": True}
