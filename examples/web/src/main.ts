// Wires the page to CustomerService: create, list, update, and errors with
// their field violations.

import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";

import type { Customer } from "./gen/customers/v1/customers_pb.js";
import { createCustomersClient, describeCallError, type CustomersClient } from "./customers-client.js";

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
const customerRows = element<HTMLTableElement>("customers").tBodies[0];
const editSection = element("edit");
const editId = element("edit-id");
const updateForm = element<HTMLFormElement>("update-form");
const updateEmail = element<HTMLInputElement>("update-email");
const updateName = element<HTMLInputElement>("update-name");
const activity = element<HTMLOListElement>("activity");

serverInput.value = new URLSearchParams(location.search).get("server") ?? "http://127.0.0.1:50051";

/** The customer being edited, as loaded, so the update mask names only what changed. */
let editing: Customer | undefined;

function client(): CustomersClient {
  return createCustomersClient(serverInput.value.trim().replace(/\/+$/, ""), apiKeyInput.value.trim());
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

function renderCustomers(customers: Customer[]): void {
  customerRows.replaceChildren(
    ...customers.map((customer) => {
      const row = document.createElement("tr");
      row.dataset.id = customer.id;
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
}

async function loadCustomers(): Promise<number> {
  const page = await client().listCustomers({ limit: 20, includeTotalCount: true });
  renderCustomers(page.customers);
  const total = page.totalCount ?? BigInt(page.customers.length);
  listSummary.textContent = `Showing ${page.customers.length} of ${total} customers, newest first.`;
  return page.customers.length;
}

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
