// The example page in headless Chromium against a running customerd.
// examples/web/run-tests.sh starts customerd and sets the environment below.

import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer, connect } from "node:net";
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
/** customerd's REST gateway, e.g. http://127.0.0.1:8080: another client, not a browser page. */
const gateway = required("CUSTOMERD_HTTP_URL");
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

/** Opens the page from `origin`, pointed at customerd (or `serverUrl`), with the API key typed in. */
async function openPage(origin, t, serverUrl = server) {
  const page = await browser.newPage();
  page.consoleErrors = [];
  page.on("console", (message) => {
    if (message.type() === "error") page.consoleErrors.push(message.text());
    t.diagnostic(`console.${message.type()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => t.diagnostic(`page error: ${error.message}`));
  await page.goto(`${origin}/?server=${encodeURIComponent(serverUrl)}`);
  await page.fill("#api-key", apiKey);
  return page;
}

/** Runs `body` on the page opened from `origin`, then screenshots it to `screenshot` (pass or fail) and closes it. */
async function withPage(origin, t, screenshot, body, serverUrl = server) {
  const page = await openPage(origin, t, serverUrl);
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
      "/customers.v1.EventService/ListEvents",
      "/customers.v1.EventService/WatchEvents",
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

/** Calls the REST gateway with the API key; resolves to the JSON answer. */
async function rest(method, path, body) {
  const response = await fetch(`${gateway}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: body && JSON.stringify(body),
  });
  if (response.status !== 200) assert.fail(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** The list as `page` shows it: its rows and the summary's total. */
function shownList(page) {
  return page.evaluate(() => ({
    rows: [...document.querySelectorAll("#customers tbody tr")].map((tr) => {
      const [id, email, name] = [...tr.cells].map((td) => td.textContent);
      return { id, email, name };
    }),
    total: Number(document.getElementById("list-summary").textContent.match(/ of (\d+) /)?.[1]),
  }));
}

/** Waits (a few seconds at most) until `page` shows `wanted(list)`; returns how long that took in ms. */
async function until(page, what, wanted) {
  const started = Date.now();
  for (;;) {
    const list = await shownList(page);
    if (wanted(list)) return Date.now() - started;
    if (Date.now() - started > 5000) {
      assert.fail(`the page did not show ${what} within 5 s; it shows ${JSON.stringify(list)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const nameOf = (list, id) => list.rows.find((row) => row.id === id)?.name;

/**
 * A TCP relay to customerd's gRPC port on a port of its own, which the test can
 * cut as a network would: `down()` closes every connection through it and
 * refuses new ones until `up()`.
 */
async function relay() {
  const sockets = new Set();
  let refusing = false;
  const listener = createServer((socket) => {
    if (refusing) return socket.destroy();
    const upstream = connect(Number(new URL(server).port), "127.0.0.1");
    for (const [from, to] of [[socket, upstream], [upstream, socket]]) {
      sockets.add(from);
      from.pipe(to);
      from.on("error", () => to.destroy());
      from.on("close", () => {
        sockets.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise((resolve) => listener.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${listener.address().port}`,
    down() {
      refusing = true;
      for (const socket of sockets) socket.destroy();
    },
    up() {
      refusing = false;
    },
    close: () => new Promise((resolve) => listener.close(resolve)),
  };
}

test("a second page follows creates, updates and deletes made elsewhere, live over WatchEvents", async (t) => {
  // Page B reaches customerd through a relay the test cuts once.
  const network = await relay();
  t.after(() => network.close());
  await withPage(allowedOrigin, t, "live-events-writer.png", (writer) =>
    withPage(allowedOrigin, t, "live-events.png", async (watcher) => {
      const watcherCalls = [];
      watcher.on("request", (request) => {
        if (request.url().startsWith(network.url)) {
          watcherCalls.push({ path: new URL(request.url()).pathname, body: request.postDataBuffer() });
        }
      });
      // Gone if the page were loaded again.
      await watcher.evaluate(() => (window.sameDocument = true));

      let shown = await clickAndSettle(watcher, "#refresh");
      assert.equal(shown.error, null);
      await watcher.waitForSelector('#live[data-state="live"]', { timeout: 5000 });
      const loaded = await shownList(watcher);
      const callsToLoad = watcherCalls.length;
      // Page B stays open behind page A, as another tab would.
      await writer.bringToFront();

      // Created through page A's own form: page B shows it on top, counted.
      await writer.fill("#create-email", "mary@example.com");
      await writer.fill("#create-name", "Mary Jackson");
      shown = await clickAndSettle(writer, "#create-form button[type=submit]");
      assert.equal(shown.error, null);
      const [, maryId] = shown.status.match(/^Created (cus_[0-9a-f]{24}) /) ?? [];
      assert.ok(maryId, shown.status);
      let took = await until(watcher, `${maryId} on top`, (list) => list.rows[0]?.id === maryId);
      t.diagnostic(`page B showed the created customer ${took} ms after page A's create returned`);
      assert.deepEqual((await shownList(watcher)).rows[0], { id: maryId, email: "mary@example.com", name: "Mary Jackson" });
      assert.equal((await shownList(watcher)).total, loaded.total + 1);

      // Created and deleted by another client (the REST gateway): in, then out.
      const dorothy = await rest("POST", "/v1/customers", { email: "dorothy@example.com", name: "Dorothy Vaughan" });
      await until(watcher, `${dorothy.id} created`, (list) => list.rows[0]?.id === dorothy.id && list.total === loaded.total + 2);
      await rest("DELETE", `/v1/customers/${dorothy.id}`);
      await until(watcher, `${dorothy.id} deleted`, (list) => !nameOf(list, dorothy.id) && list.total === loaded.total + 1);

      // The connection drops; a customer is created meanwhile. Page B watches
      // again after the last event it had, and shows what it missed, once.
      const [lastEvent] = (await rest("GET", "/v1/events?limit=1")).data;
      assert.equal(lastEvent.type, "customer.deleted");
      network.down();
      await watcher.waitForSelector('#live[data-state="waiting"]', { timeout: 5000 });
      t.diagnostic(`page B, cut off: ${await watcher.textContent("#live-detail")}`);
      const katherine = await rest("POST", "/v1/customers", { email: "katherine@example.com", name: "Katherine Johnson" });
      await new Promise((resolve) => setTimeout(resolve, 1000)); // a watch or two is refused meanwhile
      network.up();
      await until(watcher, `${katherine.id} after reconnecting`, (list) => list.rows[0]?.id === katherine.id);
      await watcher.waitForSelector('#live[data-state="live"]', { timeout: 5000 });
      const watches = watcherCalls.filter((c) => c.path === "/customers.v1.EventService/WatchEvents");
      assert.ok(watches.length >= 2, JSON.stringify(watches.map((c) => c.path)));
      // The grpc-web frame of a WatchEventsRequest: starting_after is field 1.
      assert.ok(watches.at(-1).body.includes(Buffer.from(lastEvent.id)), `resumed without ${lastEvent.id}`);

      // Renamed through page A's edit form: page B shows the new name in place.
      await writer.click(`#customers tr[data-id="${maryId}"] button`);
      await writer.fill("#update-name", "Mary W. Jackson");
      shown = await clickAndSettle(writer, "#update-form button[type=submit]");
      assert.equal(shown.status, `Updated ${maryId}: name.`);
      took = await until(watcher, "the new name", (list) => nameOf(list, maryId) === "Mary W. Jackson");
      t.diagnostic(`page B showed the new name ${took} ms after page A's update returned`);

      // Page B, never reloaded and after its first load only watching, shows what
      // the server has: the same rows as a fresh list, each once.
      const live = await shownList(watcher);
      shown = await clickAndSettle(writer, "#refresh");
      assert.deepEqual(live.rows, shown.rows.map(({ id, email, name }) => ({ id, email, name })));
      assert.equal(live.total, loaded.total + 2);
      assert.equal(new Set(live.rows.map((r) => r.id)).size, live.rows.length);
      assert.equal(await watcher.evaluate(() => window.sameDocument), true);
      assert.deepEqual(
        [...new Set(watcherCalls.slice(callsToLoad).map((c) => c.path))],
        ["/customers.v1.EventService/WatchEvents"],
      );
      assert.match(await watcher.textContent("#live-detail"), new RegExp(`^Last change: customer.updated ${maryId} at `));
    }, network.url),
  );
});
