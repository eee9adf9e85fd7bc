// Follows the account's customer changes over grpc-web: one server-streaming
// EventService.WatchEvents call, opened again after the newest change the page
// has whenever the stream ends or fails, so no change is missed or repeated.

import type { Event } from "./gen/customers/v1/events_pb.js";
import { describeCallError, type EventsClient } from "./customers-client.js";

export type WatchState =
  | { state: "connecting"; after: string }
  | { state: "live" }
  | { state: "waiting"; seconds: number; reason: string; after: string };

export interface WatchHandlers {
  /** The id of the newest event the page reflects, or "" if it reflects none. */
  lastEventId(): string;
  /**
   * Reads the list again. Called when a watch opened without a cursor has been
   * answered: it streams only what commits after it began, so what came before
   * must be read now.
   */
  reload(): Promise<void>;
  onEvent(event: Event): void;
  onState(state: WatchState): void;
}

/** Waits after a failed or ended watch: 0.5 s, doubling up to 8 s, back to 0.5 s once one is answered. */
const backoffMs = (failures: number) => Math.min(500 * 2 ** failures, 8000);

/** Watches `customer.*` events until `signal` aborts. */
export async function watchCustomerEvents(
  client: EventsClient,
  handlers: WatchHandlers,
  signal: AbortSignal,
): Promise<void> {
  let failures = 0;
  // Set when the server does not have the cursor's event: older than its
  // retention (FAILED_PRECONDITION), or unknown to it (NOT_FOUND).
  let cursorGone = false;
  while (!signal.aborted) {
    const after = cursorGone ? "" : handlers.lastEventId();
    const attempt = new AbortController();
    const cancel = () => attempt.abort();
    signal.addEventListener("abort", cancel);
    let failure: unknown;
    let reloaded: Promise<void> | undefined;
    handlers.onState({ state: "connecting", after });
    try {
      const stream = client.watchEvents(
        { startingAfter: after, types: ["customer.*"] },
        {
          signal: attempt.signal,
          // The server has started the watch: from here on, nothing is missed.
          onHeader: () => {
            failures = 0;
            if (after) return handlers.onState({ state: "live" });
            reloaded = handlers.reload().then(
              () => {
                cursorGone = false;
                handlers.onState({ state: "live" });
              },
              (error: unknown) => {
                failure ??= error;
                attempt.abort();
              },
            );
          },
        },
      );
      for await (const { event } of stream) {
        await reloaded;
        if (event) handlers.onEvent(event);
      }
      await reloaded;
    } catch (thrown) {
      failure ??= thrown;
    } finally {
      signal.removeEventListener("abort", cancel);
      attempt.abort();
    }
    if (signal.aborted) return;
    let reason = "the server ended the stream";
    if (failure !== undefined) {
      const error = describeCallError(failure);
      cursorGone ||= error.code === "FAILED_PRECONDITION" || error.code === "NOT_FOUND";
      reason = `${error.code}: ${error.message}`;
    }
    const wait = backoffMs(failures++);
    const resumeAfter = cursorGone ? "" : handlers.lastEventId();
    handlers.onState({ state: "waiting", seconds: wait / 1000, reason, after: resumeAfter });
    await pause(wait, signal);
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}
