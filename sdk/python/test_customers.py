"""Customers through the SDK's resource methods: create, retrieve, modify, list, delete, search."""

import pytest
import stripe

from conftest import post_json


def seed_customer(**fields):
    return post_json("/v1/customers", fields)


def test_create_returns_the_customer_with_its_fields(tag):
    created = stripe.Customer.create(
        email=f"ann@{tag}.example", name="Ann Lee", metadata={"user_id": "123"}
    )
    assert isinstance(created, stripe.Customer)
    assert created.id.startswith("cus_")
    assert created.object == "customer"
    assert created.email == f"ann@{tag}.example"
    assert created.name == "Ann Lee"
    assert created.phone is None
    assert created.description is None
    assert created.metadata.to_dict() == {"user_id": "123"}
    assert created.live is False

    assert stripe.Customer.retrieve(created.id).to_dict() == created.to_dict()


def test_retrieve_returns_the_stored_customer(tag):
    seeded = seed_customer(
        email=f"ann@{tag}.example", name="Ann Lee", metadata={"user_id": "123"}
    )

    retrieved = stripe.Customer.retrieve(seeded["id"])

    assert isinstance(retrieved, stripe.Customer)
    assert retrieved.id == seeded["id"]
    assert retrieved.email == f"ann@{tag}.example"
    assert retrieved.metadata.to_dict() == {"user_id": "123"}
    assert retrieved.to_dict() == seeded


def test_modify_changes_the_name_and_merges_metadata(tag):
    seeded = seed_customer(email=f"ann@{tag}.example", name="Ann", metadata={"user_id": "123"})

    modified = stripe.Customer.modify(seeded["id"], name="Ann Smith", metadata={"plan": "gold"})

    assert modified.id == seeded["id"]
    assert modified.name == "Ann Smith"
    assert modified.email == f"ann@{tag}.example"
    assert modified.metadata.to_dict() == {"user_id": "123", "plan": "gold"}
    assert stripe.Customer.retrieve(seeded["id"]).to_dict() == modified.to_dict()


def test_modify_with_an_empty_string_clears_the_field(tag):
    seeded = seed_customer(
        email=f"ann@{tag}.example",
        name="Ann",
        description="VIP",
        metadata={"user_id": "123", "plan": "gold"},
    )

    modified = stripe.Customer.modify(seeded["id"], description="", metadata={"plan": ""})

    assert modified.description is None
    assert modified.name == "Ann"
    assert modified.email == f"ann@{tag}.example"
    assert modified.metadata.to_dict() == {"user_id": "123"}
    assert stripe.Customer.retrieve(seeded["id"]).description is None


def test_list_auto_pagination_sees_every_customer_once_newest_first(tag):
    domain = f"@{tag}.example"
    created = [seed_customer(email=f"c{i}{domain}")["id"] for i in range(25)]

    first = stripe.Customer.list(limit=10)
    assert first.object == "list"
    assert len(first.data) == 10
    assert first.has_more is True

    seen = [c.id for c in first.auto_paging_iter() if (c.email or "").endswith(domain)]

    assert len(seen) == len(set(seen)), "a customer was listed twice"
    assert seen == list(reversed(created))


def test_delete_answers_deleted_and_the_id_is_gone(tag):
    seeded = seed_customer(email=f"gone@{tag}.example")

    deleted = stripe.Customer.delete(seeded["id"])

    assert deleted.id == seeded["id"]
    assert deleted.object == "customer"
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Customer.retrieve(seeded["id"])
    assert info.value.http_status == 404


def test_search_by_exact_email_finds_that_customer(tag):
    ann = seed_customer(email=f"ann@{tag}.example", name="Ann")
    seed_customer(email=f"bob@{tag}.example", name="Bob")

    result = stripe.Customer.search(query=f'email:"ann@{tag}.example"')

    assert result.object == "search_result"
    assert result.has_more is False
    assert [c.id for c in result.data] == [ann["id"]]
    assert isinstance(result.data[0], stripe.Customer)
    assert result.data[0].email == f"ann@{tag}.example"


def test_search_by_name_substring_finds_only_matching_customers(tag):
    ann = seed_customer(name=f"Ann {tag}-a")
    bob = seed_customer(name=f"Bob {tag}-b")
    seed_customer(name=f"Cat {tag}")

    result = stripe.Customer.search(query=f'name~"{tag}-"')

    assert result.object == "search_result"
    assert sorted(c.id for c in result.data) == sorted([ann["id"], bob["id"]])
    assert all(f"{tag}-" in c.name for c in result.data)


def test_search_auto_pagination_crosses_pages(tag):
    created = [seed_customer(name=f"Page {tag} {i}")["id"] for i in range(5)]

    first = stripe.Customer.search(query=f'name~"{tag}"', limit=2)
    assert len(first.data) == 2
    assert first.has_more is True
    assert first.next_page

    seen = [c.id for c in first.auto_paging_iter()]

    assert len(seen) == len(set(seen)), "a customer was found twice"
    assert sorted(seen) == sorted(created)
