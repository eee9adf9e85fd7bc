"""Payments, which the SDK has no resource for, through its raw request call."""

import json

from conftest import post_json


def seed_customer(tag):
    return post_json("/v1/customers", {"email": f"pay@{tag}.example"})["id"]


def test_raw_post_creates_a_payment(client, tag):
    customer = seed_customer(tag)

    reply = client.raw_request("post", "/v1/payments", amount=1000, currency="usd", customer=customer)

    assert reply.code == 200
    payment = json.loads(reply.body)
    assert payment["id"].startswith("pay_")
    assert payment["object"] == "payment"
    assert payment["amount"] == 1000
    assert payment["currency"] == "usd"
    assert payment["customer"] == customer

    decoded = client.deserialize(reply, api_mode="V1")
    assert decoded.id == payment["id"]
    assert decoded.amount == 1000


def test_raw_get_reads_a_payment_and_lists_by_customer(client, tag):
    customer = seed_customer(tag)
    seeded = post_json("/v1/payments", {"amount": 1000, "currency": "usd", "customer": customer})

    reply = client.raw_request("get", f"/v1/payments/{seeded['id']}")
    assert reply.code == 200
    assert json.loads(reply.body) == seeded

    listed = json.loads(client.raw_request("get", "/v1/payments", customer=customer).body)
    assert listed["object"] == "list"
    assert [p["id"] for p in listed["data"]] == [seeded["id"]]
