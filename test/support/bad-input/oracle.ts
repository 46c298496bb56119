import type { APIGatewayProxyResult } from 'aws-lambda';
import { expect } from 'vitest';
import { MAX_BATCH_BODY_BYTES, MAX_ORDER_BODY_BYTES } from '../../../lib/http/limits';

/**
 * The oracle of the bad-input tests: what the answer to a bad request must be (status, problem
 * type, and which fields or headers it names), worked out from the documented contract
 * (docs/api.md) rather than from the code under test. Only the byte limits come from lib/.
 */

export type Endpoint = 'order' | 'batch';

export interface Expectation {
  status: 400 | 413 | 415 | 422;
  /** The end of the problem type URN. */
  slug: 'invalid-json' | 'invalid-header' | 'payload-too-large' | 'unsupported-media-type' | 'validation-failed';
  /** `errors[].path` must be exactly these. */
  exactly?: string[];
  /** `errors[].path` must include these… */
  including?: string[];
  /** …and each must start with one of these segments (a key of the body, or a required field). */
  within?: string[];
}

export interface BadRequest {
  /** Which family of bad input made it, for the reports. */
  family: 'random JSON' | 'near-valid' | 'hostile' | 'encoding' | 'content type' | 'header';
  endpoint: Endpoint;
  body: string;
  isBase64Encoded: boolean;
  headers: Record<string, string>;
  expected: Expectation;
}

const BODY_LIMIT: Record<Endpoint, number> = { order: MAX_ORDER_BODY_BYTES, batch: MAX_BATCH_BODY_BYTES };
export const ORDER_FIELDS = ['order_id', 'user_id', 'product', 'quantity', 'amount', 'currency', 'created_at'] as const;
export const REQUIRED_ORDER_FIELDS = ['order_id', 'user_id', 'product', 'quantity', 'amount'] as const;
export type OrderField = (typeof ORDER_FIELDS)[number];
export type GeneratedOrder = Record<string, unknown>;

export const JSON_HEADERS = { 'Content-Type': 'application/json' };

/** RFC 6901: "~" is "~0" and "/" is "~1" in a JSON Pointer segment. */
export const pointer = (...segments: (string | number)[]): string =>
  segments.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

/** Turns a body that would be a 422 into the 413 the size rule gives first. */
export function request(
  family: BadRequest['family'],
  endpoint: Endpoint,
  body: string,
  expected: Expectation,
  headers: Record<string, string> = JSON_HEADERS,
): BadRequest {
  const tooLarge = Buffer.byteLength(body, 'utf8') > BODY_LIMIT[endpoint];
  const sized: Expectation = tooLarge && expected.status !== 415 ? { status: 413, slug: 'payload-too-large' } : expected;
  return { family, endpoint, body, isBase64Encoded: false, headers, expected: sized };
}

const requiredOf = (target: Endpoint): readonly string[] => (target === 'order' ? REQUIRED_ORDER_FIELDS : ['orders']);
const knownOf = (target: Endpoint): readonly string[] => (target === 'order' ? ORDER_FIELDS : ['orders']);

/** What any JSON value must get: for an object, its unknown keys and missing required fields named; otherwise the body itself. */
export function expectationForJson(target: Endpoint, value: unknown): Expectation {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { status: 422, slug: 'validation-failed', exactly: [''] };
  const keys = Object.keys(value);
  const unknown = keys.filter((key) => !knownOf(target).includes(key)).map((key) => pointer(key));
  const missing = requiredOf(target)
    .filter((key) => !Object.hasOwn(value, key))
    .map((key) => pointer(key));
  return { status: 422, slug: 'validation-failed', including: [...unknown, ...missing], within: [...keys, ...requiredOf(target)] };
}

interface ProblemBody {
  type?: string;
  status?: number;
  title?: string;
  detail?: string;
  errors?: { path: string; message: string }[];
}

/**
 * The answer to a bad request: never a 5xx; the expected 4xx as an RFC 9457 problem document;
 * the fields at fault named; and nothing on Object.prototype afterwards.
 */
export function expectRejected(bad: BadRequest, response: APIGatewayProxyResult): void {
  const context = `${bad.family} → ${bad.endpoint}: ${response.statusCode} ${response.body.slice(0, 500)}`;
  expect(response.statusCode, context).toBeLessThan(500);
  expect(response.statusCode, context).toBe(bad.expected.status);
  expect(response.headers?.['content-type'], context).toBe('application/problem+json');
  const problem = JSON.parse(response.body) as ProblemBody;
  expect(problem, context).toMatchObject({
    type: `urn:order-publisher:problem:${bad.expected.slug}`,
    status: bad.expected.status,
    title: expect.any(String),
    detail: expect.any(String),
  });
  const paths = (problem.errors ?? []).map((error) => error.path);
  if (bad.expected.exactly) expect([...paths].sort(), context).toEqual([...bad.expected.exactly].sort());
  if (bad.expected.including) for (const path of bad.expected.including) expect(paths, context).toContain(path);
  if (bad.expected.within) {
    const allowed = new Set(bad.expected.within.map((key) => pointer(key)));
    for (const path of paths) expect(allowed.has(`/${path.split('/')[1] ?? ''}`), `${context} (named ${path})`).toBe(true);
  }
  expect(Object.keys(Object.prototype), 'Object.prototype was polluted').toEqual([]);
  expect(({} as Record<string, unknown>).polluted, 'Object.prototype was polluted').toBeUndefined();
}
