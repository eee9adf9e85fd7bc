// The gateway's interactive docs page (/docs) in headless Chromium, with the
// network closed to everything but customerd: the page must load whole from
// customerd, and "Try it out" must create a customer with a key typed in.
// examples/web/run-tests.sh starts customerd and sets the environment below.

import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { chromium } from "playwright-core";

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run examples/web/run-tests.sh`);
  return value;
}

/** customerd's REST gateway, e.g. http://127.0.0.1:8080. */
const gateway = required("CUSTOMERD_HTTP_URL");
const apiKey = required("CUSTOMERD_API_KEY");
const artifacts = required("ARTIFACT_DIR");
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

let browser;
let userDataDir;

before(async () => {
  await mkdir(artifacts, { recursive: true });
  userDataDir = await mkdtemp(join(tmpdir(), "customerd-docs-"));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 1600 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

test("the docs page works offline and creates a customer with a typed-in key", async (t) => {
  const blocked = [];
  await browser.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(gateway) || url.startsWith("data:")) return route.continue();
    blocked.push(url);
    return route.abort("blockedbyclient");
  });
  const page = await browser.newPage();
  page.on("console", (m) => t.diagnostic(`console.${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => t.diagnostic(`page error: ${e.message}`));
  const email = `docs-${Date.now()}@example.com`;
  try {
    await page.goto(`${gateway}/docs`);
    await page.locator(".swagger-ui .info .title").waitFor();

    // The key, under "Authorize", for the bearer scheme.
    await page.locator("button.authorize").first().click();
    const bearer = page.locator(".auth-container").filter({ hasText: "bearer" });
    await bearer.locator("input").fill(apiKey);
    await bearer.locator("button.authorize").click();
    await page.locator("button.btn-done").first().click();

    // POST /v1/customers, tried out.
    const operation = page.locator("#operations-paygate-paygate_create_customer");
    await operation.locator(".opblock-summary").click();
    await operation.locator("button.try-out__btn").click();
    await operation
      .locator("textarea.body-param__text")
      .fill(JSON.stringify({ email, name: "From the docs page" }));
    await operation.locator("button.execute").click();
    const status = operation.locator(".live-responses-table tr.response .response-col_status").first();
    await status.waitFor();
    assert.equal((await status.innerText()).trim(), "200");
    const shown = await operation.locator(".live-responses-table .microlight").first().innerText();
    assert.match(shown, new RegExp(email.replace(/[.]/g, "\\.")));
    await operation.scrollIntoViewIfNeeded();
  } finally {
    await page.screenshot({ path: join(artifacts, "docs-page.png"), fullPage: false });
    await page.close();
  }

  // The customer exists, as the API itself says.
  const listed = await fetch(`${gateway}/v1/customers?email=${encodeURIComponent(email)}`, {
    headers: { authorization: `Bearer ${apiKey}` },
  }).then((r) => r.json());
  assert.equal(listed.data.length, 1);
  assert.equal(listed.data[0].name, "From the docs page");
  assert.deepEqual(blocked, [], "the page asked for nothing outside customerd");
});
