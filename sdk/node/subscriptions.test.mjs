// Subscriptions through the SDK: create, retrieve, list by customer, cancel.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Stripe, postJson, stripe, uniqueTag } from './customerd.mjs';

const seedCustomer = async () => (await postJson('/v1/customers', { email: `sub@${uniqueTag()}.example` })).id;
const seedSubscription = (customer, plan = 'gold') => postJson('/v1/subscriptions', { customer, plan });

test('create starts an active subscription', async () => {
  const customer = await seedCustomer();

  const created = await stripe.subscriptions.create({ customer, plan: 'gold' });

  assert.match(created.id, /^sub_/);
  assert.equal(created.object, 'subscription');
  assert.equal(created.customer, customer);
  assert.equal(created.plan, 'gold');
  assert.equal(created.status, 'active');
  assert.equal(created.canceled_at, null);
});

test('retrieve returns the stored subscription', async () => {
  const seeded = await seedSubscription(await seedCustomer());

  const retrieved = await stripe.subscriptions.retrieve(seeded.id);

  assert.equal(retrieved.status, 'active');
  assert.deepEqual(retrieved, seeded);
});

test('list filtered by customer holds only its subscriptions', async () => {
  const customer = await seedCustomer();
  const mine = [(await seedSubscription(customer, 'gold')).id, (await seedSubscription(customer, 'silver')).id];
  await seedSubscription(await seedCustomer());

  const listed = await stripe.subscriptions.list({ customer });

  assert.equal(listed.object, 'list');
  assert.equal(listed.has_more, false);
  assert.deepEqual(listed.data.map((s) => s.id), mine.toReversed());
  assert.ok(listed.data.every((s) => s.customer === customer));
});

test('cancel sets the status to canceled', async () => {
  const seeded = await seedSubscription(await seedCustomer());

  const canceled = await stripe.subscriptions.cancel(seeded.id);

  assert.equal(canceled.id, seeded.id);
  assert.equal(canceled.status, 'canceled');
  assert.notEqual(canceled.canceled_at, null);
  assert.equal((await stripe.subscriptions.retrieve(seeded.id)).status, 'canceled');
});

test('cancelling twice raises the server\'s conflict', async () => {
  const seeded = await seedSubscription(await seedCustomer());
  await postJson(`/v1/subscriptions/${seeded.id}/cancel`);

  await assert.rejects(stripe.subscriptions.cancel(seeded.id), (e) => {
    assert.ok(e instanceof Stripe.errors.StripeAPIError, `got ${e.constructor.name}: ${e.message}`);
    assert.equal(e.statusCode, 409);
    assert.equal(typeof e.raw.type, 'string');
    assert.ok(e.message, 'the server\'s message is carried');
    assert.equal(e.message, e.raw.message);
    return true;
  });
});
