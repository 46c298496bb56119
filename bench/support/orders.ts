import type { APIGatewayProxyEvent } from 'aws-lambda';

/**
 * The records every case sends: the same orders, keys and record headers for the handler, bare
 * kafkajs, the Java producer and kcat, so that their numbers compare records of the same size.
 */

/** Bytes of each order's JSON: the record value. */
export const ORDER_BYTES = 200;
/** Distinct keys (user ids): spread over the topic's partitions as real traffic would be. */
export const KEY_COUNT = 100;
/** API Gateway adds this header to every request; the handler copies it into the record. */
export const TRACE_ID = 'Root=1-67a1b2c3-0123456789abcdef01234567';

export interface BenchOrder {
  order_id: string;
  user_id: string;
  product: string;
  quantity: number;
  amount: number;
  currency: string;
  created_at: string;
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/**
 * Order `index`, whose JSON is exactly ORDER_BYTES long. Its fields are in the schema's order, so
 * the value the handler writes (it re-serialises the parsed order) equals the request body.
 */
export function benchOrder(index: number): BenchOrder {
  const order: BenchOrder = {
    order_id: `bench-${pad(index % 100_000_000, 8)}`,
    user_id: `user-${pad(index % KEY_COUNT, 4)}`,
    product: 'Laptop 14-inch ',
    quantity: 1 + (index % 9),
    amount: 75000,
    currency: 'EUR',
    created_at: '2026-11-26T10:00:00.000Z',
  };
  order.product += 'x'.repeat(ORDER_BYTES - JSON.stringify(order).length);
  return order;
}

/** The headers the handler puts on each record (lib/orders/event.ts); the event id varies per record. */
export function recordHeaders(eventId: string): Record<string, string> {
  return {
    'event-id': eventId,
    'event-type': 'order.placed',
    'content-type': 'application/json',
    'schema-version': '1',
    'x-amzn-trace-id': TRACE_ID,
  };
}

/** A fixed id of the length of the random UUIDs the handler makes. */
export const SAMPLE_EVENT_ID = '5b6f7c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e';

/** POST /orders (or /orders/batch) as API Gateway's REST proxy integration passes it to Lambda. */
export function apiGatewayEvent(body: string, path = '/orders'): APIGatewayProxyEvent {
  return {
    resource: path,
    path,
    httpMethod: 'POST',
    headers: {
      Accept: 'application/json',
      'Content-Type': 'application/json',
      Host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      'User-Agent': 'order-publisher-bench',
      'X-Amzn-Trace-Id': TRACE_ID,
    },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: null,
      httpMethod: 'POST',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '203.0.113.10',
        user: null,
        userAgent: 'order-publisher-bench',
        userArn: null,
      },
      path: `/dev${path}`,
      protocol: 'HTTP/1.1',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTimeEpoch: 1764151200000,
      resourceId: 'r1',
      resourcePath: path,
      stage: 'dev',
    },
    body,
    isBase64Encoded: false,
  };
}

/** One event per key, built before any timing starts; a loop cycles through them. */
export function singleOrderEvents(): APIGatewayProxyEvent[] {
  return Array.from({ length: KEY_COUNT }, (_, index) => apiGatewayEvent(JSON.stringify(benchOrder(index))));
}

/** `count` orders starting at `first`: one batch. */
export function orderBatch(first: number, count: number): BenchOrder[] {
  return Array.from({ length: count }, (_, offset) => benchOrder(first + offset));
}

/** The part of a Lambda context the handlers read, as at the start of an invocation of a function with this timeout. */
export function lambdaContext(requestId = 'bench', timeoutMs = 15_000): { awsRequestId: string; getRemainingTimeInMillis: () => number } {
  const end = Date.now() + timeoutMs;
  return { awsRequestId: requestId, getRemainingTimeInMillis: () => end - Date.now() };
}
