// Wires the page to CustomerService: create, list, update, and errors with
// their field violations; and keeps the list live with EventService.WatchEvents.

import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";

import type { Customer } from "./gen/customers/v1/customers_pb.js";
import type { Event } from "./gen/customers/v1/events_pb.js";
import {
  createCustomersClient,
  createEventsClient,
  describeCallError,
  type CustomersClient,
  type EventsClient,
} from "./customers-client.js";
import { watchCustomerEvents, type WatchState } from "./live-events.js";

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

const serverInput = element<HTMLInputElement>("server");
const apiKeyInput = element<HTMLInputElement>("api-key");
const status = element("status");
const errorBox = element("error");
const errorSummary = element("error-summary");
const violationList = element<HTMLUListElement>("violations");
const createForm = element<HTMLFormElement>("create-form");
const createEmail = element<HTMLInputElement>("create-email");
const createName = element<HTMLInputElement>("create-name");
const refreshButton = element<HTMLButtonElement>("refresh");
const listSummary = element("list-summary");
const live = element("live");
const liveDetail = element("live-detail");
const customerRows = element<HTMLTableElement>("customers").tBodies[0];
const editSection = element("edit");
const editId = element("edit-id");
const updateForm = element<HTMLFormElement>("update-form");
const updateEmail = element<HTMLInputElement>("update-email");
const updateName = element<HTMLInputElement>("update-name");
const activity = element<HTMLOListElement>("activity");

serverInput.value = new URLSearchParams(location.search).get("server") ?? "http://127.0.0.1:50051";

/** Customers the list shows at most. */
const LIMIT = 20;

/** What the list shows, and the newest customer event it reflects (sequence 0n: none). */
interface Shown {
  customers: Customer[];
  total: bigint;
  through: { id: string; sequence: bigint };
}

let shown: Shown = { customers: [], total: 0n, through: { id: "", sequence: 0n } };

/** The customer being edited, as loaded, so the update mask names only what changed. */
let editing: Customer | undefined;

/** Ends the watch of customer events; unset while the page does not watch. */
let stopWatching: (() => void) | undefined;

const baseUrl = () => serverInput.value.trim().replace(/\/+$/, "");

function client(): CustomersClient {
  return createCustomersClient(baseUrl(), apiKeyInput.value.trim());
}

function eventsClient(): EventsClient {
  return createEventsClient(baseUrl(), apiKeyInput.value.trim());
}

/** Runs one user action, showing its outcome in the status line or the error box, and in the activity log. */
async function act(working: string, action: () => Promise<string>): Promise<void> {
  errorBox.hidden = true;
  status.textContent = working;
  const entry = document.createElement("li");
  try {
    status.textContent = entry.textContent = await action();
  } catch (thrown) {
    status.textContent = "";
    entry.textContent = showError(thrown);
    entry.className = "failed";
  }
  activity.append(entry);
}

/** Shows what went wrong, with any field violations; returns the one-line summary. */
function showError(thrown: unknown): string {
  const error = describeCallError(thrown);
  errorSummary.textContent = error.unreachable
    ? `Could not reach ${serverInput.value} (${error.message}). Is customerd running, and is ` +
      `this page's origin ${location.origin} in its CORS_ALLOWED_ORIGINS?`
    : `${error.code}: ${error.message}`;
  violationList.replaceChildren(
    ...error.violations.map(({ field, description }) => {
      const item = document.createElement("li");
      const name = document.createElement("code");
      name.textContent = field;
      item.append(name, `: ${description}`);
      return item;
    }),
  );
  errorBox.hidden = false;
  return errorSummary.textContent;
}

function formatTime(time: Timestamp | undefined): string {
  return time ? timestampDate(time).toISOString().replace("T", " ").slice(0, 19) : "";
}

function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

/** Shows `shown`, marking the row of `changedId` as just changed. */
function renderCustomers(changedId?: string): void {
  customerRows.replaceChildren(
    ...shown.customers.map((customer) => {
      const row = document.createElement("tr");
      row.dataset.id = customer.id;
      if (customer.id === changedId) row.className = "changed";
      const edit = document.createElement("button");
      edit.type = "button";
      edit.className = "secondary";
      edit.textContent = "Edit";
      edit.addEventListener("click", () => startEditing(customer));
      const actions = document.createElement("td");
      actions.append(edit);
      row.append(
        cell(customer.id, "id"),
        cell(customer.email ?? ""),
        cell(customer.name ?? ""),
        cell(formatTime(customer.updatedAt)),
        actions,
      );
      return row;
    }),
  );
  listSummary.textContent = `Showing ${shown.customers.length} of ${shown.total} customers, newest first.`;
}

/**
 * Reads the list, with the newest customer event it reflects: the same event
 * before and after, and no older than what the page already shows (events may
 * arrive meanwhile). Then shows it, and watches for changes if not yet.
 */
async function loadCustomers(): Promise<number> {
  const newestEvent = async () =>
    (await eventsClient().listEvents({ limit: 1, types: ["customer.*"] })).events.at(0);
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = await newestEvent();
    const page = await client().listCustomers({ limit: LIMIT, includeTotalCount: true });
    const after = await newestEvent();
    const through = { id: before?.id ?? "", sequence: before?.sequence ?? 0n };
    if (after?.id !== before?.id || through.sequence < shown.through.sequence) continue;
    shown = { customers: page.customers, total: page.totalCount ?? BigInt(page.customers.length), through };
    renderCustomers();
    startWatching();
    return page.customers.length;
  }
  throw new Error("the customers kept changing while they were read; load them again");
}

/** Applies a change from the event stream to the list, unless the list already reflects it. */
function applyEvent(event: Event): void {
  if (event.sequence <= shown.through.sequence) return;
  shown.through = { id: event.id, sequence: event.sequence };
  if (event.object.case !== "customer") return;
  const customer = event.object.value;
  const { customers } = shown;
  const at = customers.findIndex((c) => c.id === customer.id);
  if (event.type === "customer.deleted") {
    if (at >= 0) customers.splice(at, 1);
    shown.total--;
  } else if (at >= 0) {
    customers[at] = customer;
  } else if (event.type === "customer.created") {
    customers.unshift(customer);
    if (customers.length > LIMIT) customers.pop();
    shown.total++;
  }
  renderCustomers(customer.id);
  liveDetail.textContent = `Last change: ${event.type} ${customer.id} at ${formatTime(event.createdAt)} UTC.`;
}

function startWatching(): void {
  if (stopWatching) return;
  const watching = new AbortController();
  stopWatching = () => watching.abort();
  void watchCustomerEvents(
    eventsClient(),
    {
      lastEventId: () => shown.through.id,
      reload: async () => void (await loadCustomers()),
      onEvent: applyEvent,
      onState: showWatchState,
    },
    watching.signal,
  );
}

function showWatchState(watch: WatchState | { state: "off" }): void {
  live.dataset.state = watch.state;
  switch (watch.state) {
    case "off":
      live.textContent = "Not live";
      liveDetail.textContent = "Load the list to follow changes as they happen.";
      break;
    case "connecting":
      live.textContent = "Connecting…";
      liveDetail.textContent = watch.after ? `Watching events after ${watch.after}.` : "Watching events.";
      break;
    case "live":
      live.textContent = "Live";
      liveDetail.textContent = "Following customer events over grpc-web.";
      break;
    case "waiting":
      live.textContent = "Reconnecting";
      liveDetail.textContent =
        `${watch.reason}. Watching again in ${watch.seconds} s, ` +
        (watch.after ? `after ${watch.after}.` : "then reading the list again.");
      break;
  }
}

// Another server or key is another list: stop following the old one.
for (const input of [serverInput, apiKeyInput]) {
  input.addEventListener("change", () => {
    stopWatching?.();
    stopWatching = undefined;
    shown.through = { id: "", sequence: 0n };
    showWatchState({ state: "off" });
  });
}
showWatchState({ state: "off" });

function startEditing(customer: Customer): void {
  editing = customer;
  editId.textContent = customer.id;
  updateEmail.value = customer.email ?? "";
  updateName.value = customer.name ?? "";
  editSection.hidden = false;
  updateName.focus();
}

function stopEditing(): void {
  editing = undefined;
  editSection.hidden = true;
}

createForm.addEventListener("submit", (event) => {
  event.preventDefault();
  void act("Creating…", async () => {
    const email = createEmail.value.trim();
    const name = createName.value.trim();
    const { customer } = await client().createCustomer({
      email: email || undefined,
      name: name || undefined,
    });
    createForm.reset();
    await loadCustomers();
    return `Created ${customer?.id} (${customer?.email ?? "no email"}).`;
  });
});

refreshButton.addEventListener("click", () => {
  void act("Loading…", async () => `Loaded ${await loadCustomers()} customers.`);
});

updateForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const original = editing;
  if (!original) return;
  void act("Saving…", async () => {
    const changes: { email?: string; name?: string } = {};
    const paths: string[] = [];
    for (const [field, input] of [["email", updateEmail], ["name", updateName]] as const) {
      const value = input.value.trim();
      if (value === (original[field] ?? "")) continue;
      paths.push(field);
      // Named in the mask but left unset, a field is cleared.
      if (value) changes[field] = value;
    }
    if (paths.length === 0) return "Nothing to save.";
    const { customer } = await client().updateCustomer({
      id: original.id,
      customer: changes,
      updateMask: { paths },
    });
    stopEditing();
    await loadCustomers();
    return `Updated ${customer?.id}: ${paths.join(", ")}.`;
  });
});

element("cancel-edit").addEventListener("click", stopEditing);
