// The customerd under test: an official Stripe client pointed at it, and plain
// JSON requests for fixtures, so a test proves one SDK call at a time and does
// not depend on the SDK's form encoding.
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';

export const baseUrl = process.env.CUSTOMERD_URL;
export const key = process.env.CUSTOMERD_KEY;
if (!baseUrl || !key) {
  throw new Error('CUSTOMERD_URL and CUSTOMERD_KEY must be set (sdk/run-tests.sh does)');
}

export function stripeFor(apiKey) {
  const url = new URL(baseUrl);
  return new Stripe(apiKey, {
    host: url.hostname,
    port: Number(url.port),
    protocol: url.protocol.replace(':', ''),
    maxNetworkRetries: 0,
  });
}

export const stripe = stripeFor(key);

export { Stripe };

/** POSTs a JSON body with the test key and returns the decoded reply. */
export async function postJson(path, body = {}) {
  const reply = await fetch(baseUrl + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await reply.text();
  if (!reply.ok) throw new Error(`POST ${path} answered ${reply.status}: ${text}`);
  return JSON.parse(text);
}

/** A token unique to one test, for emails, names and metadata it can search on. */
export function uniqueTag() {
  return randomUUID().replaceAll('-', '').slice(0, 12);
}
