"""Error replies as the SDK's typed exceptions."""

import pytest
import stripe

from conftest import post_json


def test_unknown_customer_raises_invalid_request_error_404():
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Customer.retrieve("cus_doesnotexist")

    e = info.value
    assert e.http_status == 404
    assert isinstance(e.json_body["error"]["type"], str)
    assert e.user_message == e.json_body["error"]["message"]
    assert "cus_doesnotexist" in e.user_message


def test_wrong_key_raises_authentication_error_401(tag):
    customer = post_json("/v1/customers", {"email": f"auth@{tag}.example"})["id"]

    with pytest.raises(stripe.AuthenticationError) as info:
        stripe.Customer.retrieve(customer, api_key="sk_test_not_a_real_key")

    e = info.value
    assert e.http_status == 401
    assert isinstance(e.json_body["error"]["type"], str)
    assert customer not in str(e.http_body)
