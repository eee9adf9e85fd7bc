"""The official Stripe SDK pointed at the customerd under test.

Fixtures that a test only reads are set up over plain JSON, so a test proves
one SDK call at a time and does not depend on the SDK's form encoding.
"""

import json
import os
import urllib.error
import urllib.request
import uuid

import pytest
import stripe

URL = os.environ["CUSTOMERD_URL"]
KEY = os.environ["CUSTOMERD_KEY"]

stripe.api_base = URL
stripe.api_key = KEY
stripe.max_network_retries = 0


def post_json(path, body=None):
    """POST a JSON body with the test key and return the decoded reply."""
    request = urllib.request.Request(
        URL + path,
        data=json.dumps(body or {}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return json.load(reply)
    except urllib.error.HTTPError as e:
        raise AssertionError(f"POST {path} answered {e.code}: {e.read().decode()}") from e


@pytest.fixture
def tag():
    """A token unique to one test, for emails, names and metadata it can search on."""
    return uuid.uuid4().hex[:12]


@pytest.fixture
def client():
    """A StripeClient, the SDK's home for raw requests."""
    return stripe.StripeClient(KEY, base_addresses={"api": URL}, max_network_retries=0)
