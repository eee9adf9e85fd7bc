// The example page in headless Chromium against a running customerd.
// examples/web/run-tests.sh starts customerd and sets the environment below.

import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { chromium } from "playwright-core";

import { serveStatic } from "../static-server.js";

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run examples/web/run-tests.sh`);
  return value;
}

/** customerd's gRPC (and grpc-web) address, e.g. http://127.0.0.1:50051. */
const server = required("CUSTOMERD_URL");
const apiKey = required("CUSTOMERD_API_KEY");
/** The page's port on 127.0.0.1, whose origin customerd was started to allow. */
const allowedPort = Number(required("PAGE_PORT"));
/** Another port for the same page, whose origin customerd does not allow. */
const refusedPort = Number(required("REFUSED_PAGE_PORT"));
const artifacts = required("ARTIFACT_DIR");
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const allowedOrigin = `http://127.0.0.1:${allowedPort}`;
const refusedOrigin = `http://127.0.0.1:${refusedPort}`;

let browser;
let userDataDir;
const pageServers = [];

before(async () => {
  await mkdir(artifacts, { recursive: true });
  pageServers.push(await serveStatic(allowedPort), await serveStatic(refusedPort));
  userDataDir = await mkdtemp(join(tmpdir(), "customerd-chromium-"));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1000, height: 900 },
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
  await Promise.all(pageServers.map((s) => new Promise((resolve) => s.close(resolve))));
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

/** Opens the page from `origin`, pointed at customerd, with the API key typed in. */
async function openPage(origin, t) {
  const page = await browser.newPage();
  page.consoleErrors = [];
  page.on("console", (message) => {
    if (message.type() === "error") page.consoleErrors.push(message.text());
    t.diagnostic(`console.${message.type()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => t.diagnostic(`page error: ${error.message}`));
  await page.goto(`${origin}/?server=${encodeURIComponent(server)}`);
  await page.fill("#api-key", apiKey);
  return page;
}

/** Runs `body` on the page opened from `origin`, then screenshots it to `screenshot` (pass or fail) and closes it. */
async function withPage(origin, t, screenshot, body) {
  const page = await openPage(origin, t);
  try {
    await body(page);
  } finally {
    const path = join(artifacts, screenshot);
    await page.screenshot({ path, fullPage: true });
    t.diagnostic(`screenshot: ${path}`);
    await page.close();
  }
}

/** Clicks `selector`, waits until the action it started has finished, and returns what the page shows. */
async function clickAndSettle(page, selector) {
  await page.click(selector);
  await page.waitForFunction(() => !document.getElementById("status").textContent.endsWith("…"));
  return page.evaluate(() => ({
    status: document.getElementById("status").textContent,
    error: document.getElementById("error").hidden
      ? null
      : document.getElementById("error-summary").textContent,
    violations: [...document.querySelectorAll("#violations li")].map((li) => li.textContent),
    summary: document.getElementById("list-summary").textContent,
    activity: [...document.querySelectorAll("#activity li")].map((li) => li.textContent),
    rows: [...document.querySelectorAll("#customers tbody tr")].map((tr) => {
      const [id, email, name, updated] = [...tr.cells].map((td) => td.textContent);
      return { id, email, name, updated };
    }),
  }));
}

const customerId = /^cus_[0-9a-f]{24}$/;

test("a page on an allowed origin creates, lists and updates customers and shows field violations", (t) =>
  withPage(allowedOrigin, t, "customers-page.png", async (page) => {
    const calls = [];
    page.on("request", (request) => {
      if (request.url().startsWith(server)) {
        calls.push({ path: new URL(request.url()).pathname, contentType: request.headers()["content-type"] });
      }
    });

    await page.fill("#create-email", "ada@example.com");
    await page.fill("#create-name", "Ada Lovelace");
    let shown = await clickAndSettle(page, "#create-form button[type=submit]");
    assert.equal(shown.error, null);
    const [, adaId] = shown.status.match(/^Created (\S+) \(ada@example\.com\)\.$/) ?? [];
    assert.match(adaId ?? shown.status, customerId);

    await page.fill("#create-email", "grace@example.com");
    await page.fill("#create-name", "Grace Hopper");
    shown = await clickAndSettle(page, "#create-form button[type=submit]");
    assert.equal(shown.error, null);
    assert.match(shown.status, /^Created cus_[0-9a-f]{24} \(grace@example\.com\)\.$/);
    assert.equal(shown.summary, "Showing 2 of 2 customers, newest first.");
    assert.deepEqual(
      shown.rows.map(({ email, name }) => ({ email, name })),
      [
        { email: "grace@example.com", name: "Grace Hopper" },
        { email: "ada@example.com", name: "Ada Lovelace" },
      ],
    );
    assert.equal(shown.rows[1].id, adaId);

    await page.click(`#customers tr[data-id="${adaId}"] button`);
    assert.equal(await page.textContent("#edit-id"), adaId);
    assert.equal(await page.inputValue("#update-name"), "Ada Lovelace");
    await page.fill("#update-name", "Ada King");
    shown = await clickAndSettle(page, "#update-form button[type=submit]");
    assert.equal(shown.error, null);
    assert.equal(shown.status, `Updated ${adaId}: name.`);
    assert.deepEqual(
      shown.rows.map(({ email, name }) => ({ email, name })),
      [
        { email: "grace@example.com", name: "Grace Hopper" },
        { email: "ada@example.com", name: "Ada King" },
      ],
    );

    await page.fill("#create-email", "not-an-email");
    await page.fill("#create-name", "Nobody");
    shown = await clickAndSettle(page, "#create-form button[type=submit]");
    assert.equal(shown.status, "");
    assert.match(shown.error, /^INVALID_ARGUMENT: /);
    assert.deepEqual(shown.violations, ["email: is not a valid email address"]);
    assert.equal(shown.rows.length, 2);
    assert.deepEqual(shown.activity.slice(0, 3), [
      `Created ${adaId} (ada@example.com).`,
      `Created ${shown.rows[0].id} (grace@example.com).`,
      `Updated ${adaId}: name.`,
    ]);
    assert.equal(shown.activity.length, 4);
    assert.match(shown.activity[3], /^INVALID_ARGUMENT: /);
    assert.deepEqual(page.consoleErrors, []);

    // The page really spoke grpc-web (binary) to customerd's gRPC port.
    const methods = [...new Set(calls.map((c) => c.path))].sort();
    assert.deepEqual(methods, [
      "/customers.v1.CustomerService/CreateCustomer",
      "/customers.v1.CustomerService/ListCustomers",
      "/customers.v1.CustomerService/UpdateCustomer",
    ]);
    assert.ok(calls.every((c) => c.contentType === "application/grpc-web+proto"), JSON.stringify(calls));
  }));

test("a page on an origin customerd does not allow is refused by CORS", async (t) => {
  await withPage(refusedOrigin, t, "refused-origin.png", async (page) => {
    const failed = [];
    page.on("requestfailed", (request) => failed.push(new URL(request.url()).pathname));

    await page.fill("#create-email", "blocked@example.com");
    let shown = await clickAndSettle(page, "#create-form button[type=submit]");
    assert.equal(shown.status, "");
    assert.match(shown.error, new RegExp(`^Could not reach ${server} \\(.+\\)\\. `));
    assert.ok(shown.error.includes(`origin ${refusedOrigin} in its CORS_ALLOWED_ORIGINS`), shown.error);
    assert.deepEqual(shown.violations, []);
    assert.deepEqual(failed, ["/customers.v1.CustomerService/CreateCustomer"]);
    // Chromium says why: the preflight answer did not allow this origin.
    assert.ok(
      page.consoleErrors.some(
        (text) =>
          text.includes(`from origin '${refusedOrigin}' has been blocked by CORS policy`) &&
          text.includes("No 'Access-Control-Allow-Origin' header"),
      ),
      page.consoleErrors.join("\n"),
    );

    shown = await clickAndSettle(page, "#refresh");
    assert.match(shown.error, /^Could not reach /);
    assert.deepEqual(shown.rows, []);
  });

  // Refused before it was sent: the create never reached customerd.
  await withPage(allowedOrigin, t, "after-refused-origin.png", async (page) => {
    const shown = await clickAndSettle(page, "#refresh");
    assert.equal(shown.error, null);
    assert.ok(shown.rows.length > 0);
    assert.ok(!shown.rows.some((r) => r.email === "blocked@example.com"), JSON.stringify(shown.rows));
  });
});

test("preflight is granted to the configured origin only", async () => {
  const preflight = (origin) =>
    fetch(`${server}/customers.v1.CustomerService/ListCustomers`, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type,x-grpc-web,x-user-agent",
      },
    });

  const granted = await preflight(allowedOrigin);
  assert.equal(granted.status, 200);
  assert.equal(granted.headers.get("access-control-allow-origin"), allowedOrigin);
  const allowedHeaders = granted.headers.get("access-control-allow-headers").split(/\s*,\s*/);
  for (const header of ["authorization", "content-type", "x-grpc-web", "x-user-agent"]) {
    assert.ok(allowedHeaders.includes(header), `${header} not in ${allowedHeaders}`);
  }

  const refused = await preflight(refusedOrigin);
  assert.equal(refused.headers.get("access-control-allow-origin"), null);
});
