"""Subscriptions through the SDK: create, retrieve, list by customer, cancel."""

import pytest
import stripe

from conftest import post_json


def seed_customer(tag):
    return post_json("/v1/customers", {"email": f"sub@{tag}.example"})["id"]


def seed_subscription(customer, plan="gold"):
    return post_json("/v1/subscriptions", {"customer": customer, "plan": plan})


def test_create_starts_an_active_subscription(tag):
    customer = seed_customer(tag)

    created = stripe.Subscription.create(customer=customer, plan="gold")

    assert isinstance(created, stripe.Subscription)
    assert created.id.startswith("sub_")
    assert created.object == "subscription"
    assert created.customer == customer
    assert created.plan == "gold"
    assert created.status == "active"
    assert created.canceled_at is None


def test_retrieve_returns_the_stored_subscription(tag):
    seeded = seed_subscription(seed_customer(tag))

    retrieved = stripe.Subscription.retrieve(seeded["id"])

    assert isinstance(retrieved, stripe.Subscription)
    assert retrieved.status == "active"
    assert retrieved.to_dict() == seeded


def test_list_filtered_by_customer_holds_only_its_subscriptions(tag):
    customer = seed_customer(tag)
    mine = [seed_subscription(customer, plan)["id"] for plan in ("gold", "silver")]
    seed_subscription(seed_customer(tag))

    listed = stripe.Subscription.list(customer=customer)

    assert listed.object == "list"
    assert listed.has_more is False
    assert [s.id for s in listed.data] == list(reversed(mine))
    assert all(s.customer == customer for s in listed.data)


def test_cancel_sets_the_status_to_canceled(tag):
    seeded = seed_subscription(seed_customer(tag))

    canceled = stripe.Subscription.cancel(seeded["id"])

    assert canceled.id == seeded["id"]
    assert canceled.status == "canceled"
    assert canceled.canceled_at is not None
    assert stripe.Subscription.retrieve(seeded["id"]).status == "canceled"


def test_cancelling_twice_raises_the_servers_conflict(tag):
    seeded = seed_subscription(seed_customer(tag))
    post_json(f"/v1/subscriptions/{seeded['id']}/cancel")

    with pytest.raises(stripe.APIError) as info:
        stripe.Subscription.cancel(seeded["id"])

    e = info.value
    assert e.http_status == 409
    assert isinstance(e.json_body["error"]["type"], str)
    assert e.user_message == e.json_body["error"]["message"]
    assert e.user_message
    assert "Invalid response object from API" not in str(e)
