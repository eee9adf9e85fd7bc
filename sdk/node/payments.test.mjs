// Payments, which the SDK has no resource for, through its raw request call.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { postJson, stripe, uniqueTag } from './customerd.mjs';

const seedCustomer = async () => (await postJson('/v1/customers', { email: `pay@${uniqueTag()}.example` })).id;

test('raw POST creates a payment', async () => {
  const customer = await seedCustomer();

  const payment = await stripe.rawRequest('POST', '/v1/payments', { amount: 1000, currency: 'usd', customer });

  assert.match(payment.id, /^pay_/);
  assert.equal(payment.object, 'payment');
  assert.equal(payment.amount, 1000);
  assert.equal(payment.currency, 'usd');
  assert.equal(payment.customer, customer);
  assert.equal(payment.lastResponse.statusCode, 200);
});

test('raw GET reads a payment and lists by customer', async () => {
  const customer = await seedCustomer();
  const seeded = await postJson('/v1/payments', { amount: 1000, currency: 'usd', customer });

  assert.deepEqual(await stripe.rawRequest('GET', `/v1/payments/${seeded.id}`), seeded);

  const listed = await stripe.rawRequest('GET', `/v1/payments?customer=${customer}`);
  assert.equal(listed.object, 'list');
  assert.deepEqual(listed.data.map((p) => p.id), [seeded.id]);
});
