// Customers through the SDK's resource methods: create, retrieve, update, list, delete, search.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Stripe, postJson, stripe, uniqueTag } from './customerd.mjs';

const seedCustomer = (fields) => postJson('/v1/customers', fields);

test('create returns the customer with its fields', async () => {
  const tag = uniqueTag();
  const created = await stripe.customers.create({
    email: `ann@${tag}.example`,
    name: 'Ann Lee',
    metadata: { user_id: '123' },
  });
  assert.match(created.id, /^cus_/);
  assert.equal(created.object, 'customer');
  assert.equal(created.email, `ann@${tag}.example`);
  assert.equal(created.name, 'Ann Lee');
  assert.equal(created.phone, null);
  assert.equal(created.description, null);
  assert.deepEqual(created.metadata, { user_id: '123' });
  assert.equal(created.live, false);

  assert.deepEqual(await stripe.customers.retrieve(created.id), created);
});

test('retrieve returns the stored customer', async () => {
  const tag = uniqueTag();
  const seeded = await seedCustomer({ email: `ann@${tag}.example`, name: 'Ann Lee', metadata: { user_id: '123' } });

  const retrieved = await stripe.customers.retrieve(seeded.id);

  assert.deepEqual(retrieved, seeded);
});

test('update changes the name and merges metadata', async () => {
  const tag = uniqueTag();
  const seeded = await seedCustomer({ email: `ann@${tag}.example`, name: 'Ann', metadata: { user_id: '123' } });

  const updated = await stripe.customers.update(seeded.id, { name: 'Ann Smith', metadata: { plan: 'gold' } });

  assert.equal(updated.id, seeded.id);
  assert.equal(updated.name, 'Ann Smith');
  assert.equal(updated.email, `ann@${tag}.example`);
  assert.deepEqual(updated.metadata, { user_id: '123', plan: 'gold' });
  assert.deepEqual(await stripe.customers.retrieve(seeded.id), updated);
});

test('update with an empty string clears the field', async () => {
  const tag = uniqueTag();
  const seeded = await seedCustomer({
    email: `ann@${tag}.example`,
    name: 'Ann',
    description: 'VIP',
    metadata: { user_id: '123', plan: 'gold' },
  });

  const updated = await stripe.customers.update(seeded.id, { description: '', metadata: { plan: '' } });

  assert.equal(updated.description, null);
  assert.equal(updated.name, 'Ann');
  assert.equal(updated.email, `ann@${tag}.example`);
  assert.deepEqual(updated.metadata, { user_id: '123' });
  assert.equal((await stripe.customers.retrieve(seeded.id)).description, null);
});

test('list auto-pagination sees every customer once, newest first', async () => {
  const domain = `@${uniqueTag()}.example`;
  const created = [];
  for (let i = 0; i < 25; i++) created.push((await seedCustomer({ email: `c${i}${domain}` })).id);

  const first = await stripe.customers.list({ limit: 10 });
  assert.equal(first.object, 'list');
  assert.equal(first.data.length, 10);
  assert.equal(first.has_more, true);

  const seen = [];
  for await (const c of stripe.customers.list({ limit: 10 })) {
    if ((c.email ?? '').endsWith(domain)) seen.push(c.id);
  }
  assert.equal(new Set(seen).size, seen.length, 'a customer was listed twice');
  assert.deepEqual(seen, created.toReversed());
});

test('delete answers deleted and the id is gone', async () => {
  const seeded = await seedCustomer({ email: `gone@${uniqueTag()}.example` });

  const deleted = await stripe.customers.del(seeded.id);

  assert.deepEqual(deleted, { id: seeded.id, object: 'customer', deleted: true });
  await assert.rejects(stripe.customers.retrieve(seeded.id), (e) => {
    assert.ok(e instanceof Stripe.errors.StripeInvalidRequestError, `got ${e.constructor.name}: ${e.message}`);
    assert.equal(e.statusCode, 404);
    return true;
  });
});

test('search by exact email finds that customer', async () => {
  const tag = uniqueTag();
  const ann = await seedCustomer({ email: `ann@${tag}.example`, name: 'Ann' });
  await seedCustomer({ email: `bob@${tag}.example`, name: 'Bob' });

  const result = await stripe.customers.search({ query: `email:"ann@${tag}.example"` });

  assert.equal(result.object, 'search_result');
  assert.equal(result.has_more, false);
  assert.deepEqual(result.data.map((c) => c.id), [ann.id]);
  assert.equal(result.data[0].email, `ann@${tag}.example`);
});

test('search by name substring finds only matching customers', async () => {
  const tag = uniqueTag();
  const ann = await seedCustomer({ name: `Ann ${tag}-a` });
  const bob = await seedCustomer({ name: `Bob ${tag}-b` });
  await seedCustomer({ name: `Cat ${tag}` });

  const result = await stripe.customers.search({ query: `name~"${tag}-"` });

  assert.equal(result.object, 'search_result');
  assert.deepEqual(result.data.map((c) => c.id).sort(), [ann.id, bob.id].sort());
});

test('search auto-pagination crosses pages', async () => {
  const tag = uniqueTag();
  const created = [];
  for (let i = 0; i < 5; i++) created.push((await seedCustomer({ name: `Page ${tag} ${i}` })).id);
  const query = `name~"${tag}"`;

  const first = await stripe.customers.search({ query, limit: 2 });
  assert.equal(first.data.length, 2);
  assert.equal(first.has_more, true);
  assert.ok(first.next_page, 'next_page is set while has_more');

  const seen = [];
  for await (const c of stripe.customers.search({ query, limit: 2 })) seen.push(c.id);
  assert.equal(new Set(seen).size, seen.length, 'a customer was found twice');
  assert.deepEqual(seen.sort(), created.sort());
});
