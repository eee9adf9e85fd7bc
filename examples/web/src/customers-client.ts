// The part of this example a browser app needs: CustomerService and
// EventService clients over grpc-web, and a readable form of the errors they raise.

import { Code, ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";

import { CustomerService } from "./gen/customers/v1/customers_pb.js";
import { EventService } from "./gen/customers/v1/events_pb.js";
import { BadRequestSchema } from "./gen/google/rpc/error_details_pb.js";

export type CustomersClient = Client<typeof CustomerService>;
export type EventsClient = Client<typeof EventService>;

/** A grpc-web transport to `baseUrl` (customerd's gRPC port) that sends `apiKey`. */
function transport(baseUrl: string, apiKey: string): Transport {
  const authenticate: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${apiKey}`);
    return next(req);
  };
  return createGrpcWebTransport({
    baseUrl,
    // tonic-web speaks grpc-web with protobuf payloads, not the JSON flavour.
    useBinaryFormat: true,
    interceptors: [authenticate],
  });
}

/** A CustomerService client that calls `baseUrl` (customerd's gRPC port) with `apiKey`. */
export function createCustomersClient(baseUrl: string, apiKey: string): CustomersClient {
  return createClient(CustomerService, transport(baseUrl, apiKey));
}

/** An EventService client, for listing and watching the account's events. */
export function createEventsClient(baseUrl: string, apiKey: string): EventsClient {
  return createClient(EventService, transport(baseUrl, apiKey));
}

export interface FieldViolation {
  field: string;
  description: string;
}

export interface CallError {
  /** The gRPC status code, as in the gRPC docs: `INVALID_ARGUMENT`, `NOT_FOUND`, … */
  code: string;
  message: string;
  /** From the `google.rpc.BadRequest` detail of an INVALID_ARGUMENT error. */
  violations: FieldViolation[];
  /** True when no answer arrived at all: server down, or this origin refused by CORS. */
  unreachable: boolean;
}

/** Turns whatever a call threw into what a page can show. */
export function describeCallError(thrown: unknown): CallError {
  const err = ConnectError.from(thrown);
  const violations = err
    .findDetails(BadRequestSchema)
    .flatMap((badRequest) => badRequest.fieldViolations)
    .map(({ field, description }) => ({ field, description }));
  return {
    code: Code[err.code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase(),
    message: err.rawMessage,
    violations,
    // A fetch that fails without a response (network error, CORS refusal)
    // rejects with a TypeError, which Connect wraps as UNKNOWN.
    unreachable: err.code === Code.Unknown && err.cause instanceof TypeError,
  };
}
