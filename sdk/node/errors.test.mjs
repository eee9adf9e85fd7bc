// Error replies as the SDK's typed errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Stripe, postJson, stripe, stripeFor, uniqueTag } from './customerd.mjs';

test('unknown customer raises StripeInvalidRequestError 404', async () => {
  await assert.rejects(stripe.customers.retrieve('cus_doesnotexist'), (e) => {
    assert.ok(e instanceof Stripe.errors.StripeInvalidRequestError, `got ${e.constructor.name}: ${e.message}`);
    assert.equal(e.statusCode, 404);
    assert.equal(typeof e.raw.type, 'string');
    assert.match(e.message, /cus_doesnotexist/);
    return true;
  });
});

test('wrong key raises StripeAuthenticationError 401', async () => {
  const customer = (await postJson('/v1/customers', { email: `auth@${uniqueTag()}.example` })).id;

  await assert.rejects(stripeFor('sk_test_not_a_real_key').customers.retrieve(customer), (e) => {
    assert.ok(e instanceof Stripe.errors.StripeAuthenticationError, `got ${e.constructor.name}: ${e.message}`);
    assert.equal(e.statusCode, 401);
    assert.equal(typeof e.raw.type, 'string');
    assert.doesNotMatch(e.message, new RegExp(customer));
    return true;
  });
});
