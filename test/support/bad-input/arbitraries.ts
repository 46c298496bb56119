import fc from 'fast-check';
import {
  type BadRequest,
  type Endpoint,
  type Expectation,
  expectationForJson,
  type GeneratedOrder,
  JSON_HEADERS,
  ORDER_FIELDS,
  type OrderField,
  pointer,
  REQUIRED_ORDER_FIELDS,
  request,
} from './oracle';

/**
 * fast-check generators of bad requests for POST /orders and POST /orders/batch, one family
 * each; every request carries its expected answer from the oracle (./oracle.ts).
 */

/**
 * JSON text of an object from its entries, in order. Built as text so that keys such as
 * `__proto__` are sent as they are (assigning one to a JavaScript object would set its prototype
 * instead), and so that a key may even repeat.
 */
export const objectText = (entries: readonly (readonly [string, unknown])[]): string =>
  `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value === undefined ? 'null' : JSON.stringify(value)}`).join(',')}}`;

/** An order that satisfies the documented rules (docs/api.md). */
export const validOrder: fc.Arbitrary<GeneratedOrder> = fc.record(
  {
    order_id: fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/),
    user_id: fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/),
    product: fc.string({ minLength: 1, maxLength: 60, unit: 'grapheme' }).filter((product) => product.length <= 200 && /\S/.test(product)),
    quantity: fc.integer({ min: 1, max: 10_000 }),
    // Cents over 100: the nearest double to a two-decimal amount, as JSON.parse would give.
    amount: fc.integer({ min: 1, max: 100_000_000 }).map((cents) => cents / 100),
    currency: fc.stringMatching(/^[A-Z]{3}$/),
    created_at: fc
      .tuple(
        fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.constantFrom('Z', '+02:00', '-05:30'),
      )
      .map(([date, zone]) => date.toISOString().replace('Z', zone)),
  },
  { requiredKeys: [...REQUIRED_ORDER_FIELDS] },
);

const otherThan = (...excluded: ('string' | 'number' | 'null')[]): fc.Arbitrary<unknown> =>
  fc.oneof(
    ...[
      excluded.includes('null') ? undefined : (fc.constant(null) as fc.Arbitrary<unknown>),
      fc.boolean(),
      fc.constant([]),
      fc.array(fc.integer(), { minLength: 1, maxLength: 3 }),
      fc.constant({}),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { minKeys: 1, maxKeys: 2 }),
      excluded.includes('number') ? undefined : fc.double({ noNaN: true, noDefaultInfinity: true }),
      excluded.includes('string') ? undefined : fc.string({ maxLength: 10 }),
    ].filter((arbitrary) => arbitrary !== undefined),
  );

const identifierChar = fc.constantFrom(...'ABCxyz019._:-');
const badIdentifier = fc.oneof(
  fc.constant(''),
  fc.string({ unit: identifierChar, minLength: 65, maxLength: 300 }),
  fc
    .tuple(
      fc.stringMatching(/^[A-Za-z0-9]{0,20}$/),
      fc.constantFrom(' ', '/', '\\', 'é', '🙂', '\u0000', '#', '@', '\n', '%'),
      fc.stringMatching(/^[A-Za-z0-9]{0,20}$/),
    )
    .map(([before, bad, after]) => `${before}${bad}${after}`),
  otherThan('string'),
);

/** Values that break one field's rule: wrong type, out of range, or the wrong form. */
const brokenValue: Record<OrderField, fc.Arbitrary<unknown>> = {
  order_id: badIdentifier,
  user_id: badIdentifier,
  product: fc.oneof(
    fc.constant(''),
    fc.stringMatching(/^[ \t\n\r\u00a0\u2003]{1,20}$/),
    fc.string({ minLength: 201, maxLength: 2_000, unit: 'grapheme-ascii' }).filter((product) => product.length > 200),
    otherThan('string'),
  ),
  quantity: fc.oneof(
    fc.constant(0),
    fc.integer({ min: -1_000_000, max: -1 }),
    fc.integer({ min: 10_001, max: 2 ** 31 }),
    fc.integer({ min: 1, max: 9_999 }).map((whole) => whole + 0.5),
    fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, 1e308, -0.0001),
    otherThan('number'),
  ),
  amount: fc.oneof(
    fc.constant(0),
    fc.integer({ min: -1_000_000, max: -1 }).map((cents) => cents / 100),
    fc
      .integer({ min: 1, max: 10_000_000 })
      .filter((mills) => mills % 10 !== 0)
      .map((mills) => mills / 1000),
    fc.constantFrom(0.001, 1e-7, 0.30000000000000004),
    otherThan('number'),
  ),
  currency: fc.oneof(
    fc.stringMatching(/^[a-z]{3}$/),
    fc.stringMatching(/^[A-Z]{1,2}$|^[A-Z]{4,6}$/),
    fc.stringMatching(/^[0-9]{3}$/),
    otherThan('string'),
  ),
  created_at: fc.oneof(
    fc.constantFrom(
      '2026-11-26T14:41:07',
      '2026-11-26',
      '26/11/2026 14:41',
      'yesterday',
      '2026-13-01T00:00:00Z',
      '2026-11-26T25:00:00Z',
      '',
    ),
    otherThan('string'),
  ),
};

type Breakage =
  | { kind: 'value'; field: OrderField; value: unknown }
  | { kind: 'missing'; field: OrderField }
  | { kind: 'unknown'; key: string; value: unknown };

const hostileKeys = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  '',
  'a/b',
  'c~d',
];
const unknownKey = fc
  .oneof(fc.constantFrom(...hostileKeys), fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }))
  .filter((key) => !(ORDER_FIELDS as readonly string[]).includes(key));

const breakage: fc.Arbitrary<Breakage> = fc.oneof(
  fc.constantFrom(...ORDER_FIELDS).chain((field) => brokenValue[field].map((value): Breakage => ({ kind: 'value', field, value }))),
  fc.constantFrom(...REQUIRED_ORDER_FIELDS).map((field): Breakage => ({ kind: 'missing', field })),
  fc.tuple(unknownKey, fc.jsonValue({ maxDepth: 2 })).map(([key, value]): Breakage => ({ kind: 'unknown', key, value })),
);

/** The entries of an order with one thing broken, and the JSON Pointer of what broke. */
function breakOrder(order: GeneratedOrder, broken: Breakage): { entries: [string, unknown][]; path: string } {
  const entries = Object.entries(order).filter(([key]) => broken.kind !== 'missing' || key !== broken.field);
  if (broken.kind === 'value') {
    const others = entries.filter(([key]) => key !== broken.field);
    return { entries: [...others, [broken.field, broken.value]], path: pointer(broken.field) };
  }
  if (broken.kind === 'missing') return { entries, path: pointer(broken.field) };
  return { entries: [...entries, [broken.key, broken.value]], path: pointer(broken.key) };
}

const endpoint = fc.constantFrom<Endpoint>('order', 'batch');

/** One order with exactly one field broken (or missing, or one unknown field added): a 422 naming that field alone. */
export const nearValidOrders: fc.Arbitrary<BadRequest> = fc.tuple(validOrder, breakage).map(([order, broken]) => {
  const { entries, path } = breakOrder(order, broken);
  return request('near-valid', 'order', objectText(entries), { status: 422, slug: 'validation-failed', exactly: [path] });
});

/** A batch of valid orders but one, broken as above: a 422 naming that order's field alone, and nothing sent. */
export const nearValidBatches: fc.Arbitrary<BadRequest> = fc
  .tuple(fc.array(validOrder, { minLength: 1, maxLength: 6 }), breakage, fc.nat())
  .map(([orders, broken, at]) => {
    const index = at % orders.length;
    const { entries, path } = breakOrder(orders[index] as GeneratedOrder, broken);
    const texts = orders.map((order, position) => (position === index ? objectText(entries) : JSON.stringify(order)));
    return request('near-valid', 'batch', `{"orders":[${texts.join(',')}]}`, {
      status: 422,
      slug: 'validation-failed',
      exactly: [`${pointer('orders', index)}${path}`],
    });
  });

/** Batches broken as a whole: no orders, too many, not an array, an unknown key beside them. */
export const brokenBatches: fc.Arbitrary<BadRequest> = fc.oneof(
  fc.constant(request('near-valid', 'batch', '{"orders":[]}', { status: 422, slug: 'validation-failed', exactly: ['/orders'] })),
  fc.integer({ min: 501, max: 600 }).map((count) =>
    request(
      'near-valid',
      'batch',
      JSON.stringify({
        orders: Array.from({ length: count }, (_, index) => ({
          order_id: `o${index}`,
          user_id: 'u',
          product: 'p',
          quantity: 1,
          amount: 1,
        })),
      }),
      { status: 422, slug: 'validation-failed', exactly: ['/orders'] },
    ),
  ),
  fc
    .oneof(
      fc.constant(null),
      fc.boolean(),
      fc.constant({}),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.string({ maxLength: 10 }),
    )
    .map((value) =>
      request('near-valid', 'batch', objectText([['orders', value]]), { status: 422, slug: 'validation-failed', exactly: ['/orders'] }),
    ),
  fc
    .tuple(validOrder, unknownKey)
    .filter(([, key]) => key !== 'orders')
    .map(([order, key]) =>
      request(
        'near-valid',
        'batch',
        objectText([
          ['orders', [order]],
          [key, 1],
        ]),
        { status: 422, slug: 'validation-failed', exactly: [pointer(key)] },
      ),
    ),
);

/** Any JSON value at all (objects with random keys, arrays, scalars), with any Unicode in its strings. */
export const randomJson: fc.Arbitrary<BadRequest> = fc
  .tuple(endpoint, fc.jsonValue({ maxDepth: 5, stringUnit: 'binary' }))
  .map(([target, value]) => request('random JSON', target, JSON.stringify(value) ?? 'null', expectationForJson(target, value)));

/** Text that is mostly not JSON: random strings, truncated orders, empty and blank bodies. */
export const notJson: fc.Arbitrary<BadRequest> = fc
  .tuple(
    endpoint,
    fc.oneof(
      fc.string({ maxLength: 200, unit: 'binary' }),
      fc.constantFrom('', ' ', '\n\t', '{', '[', '{"orders":', 'undefined', "{'order_id':'1'}", 'NaN', '{"a":1,}', '\u0000'),
      fc.tuple(validOrder, fc.nat()).map(([order, cut]) => {
        const text = JSON.stringify(order);
        return text.slice(0, 1 + (cut % (text.length - 1)));
      }),
    ),
  )
  .map(([target, text]) => {
    let parsed: { value: unknown } | undefined;
    try {
      parsed = { value: JSON.parse(text) };
    } catch {
      parsed = undefined;
    }
    const expected: Expectation = parsed ? expectationForJson(target, parsed.value) : { status: 400, slug: 'invalid-json' };
    return request('encoding', target, text, expected);
  });

/**
 * Hostile shapes: strings far past the limits (in bytes and in characters), deep nesting,
 * prototype keys, a field smuggled in through `__proto__`, duplicate keys.
 */
export const hostileBodies: fc.Arbitrary<BadRequest> = fc.oneof(
  // A huge product: 422 under the byte limit, 413 over it. Its length counts characters (code
  // points, as JSON Schema's maxLength does), its size bytes: 🙂 is 1 character, 2 UTF-16 units, 4 bytes.
  fc
    .tuple(endpoint, validOrder, fc.integer({ min: 201, max: 1_200_000 }), fc.constantFrom('x', 'é', '🙂', '"', '\u2028'))
    .map(([target, order, length, character]) => {
      const product = character.repeat(length);
      const entries: [string, unknown][] = [...Object.entries(order).filter(([key]) => key !== 'product'), ['product', product]];
      const body = target === 'order' ? objectText(entries) : `{"orders":[${objectText(entries)}]}`;
      const path = target === 'order' ? '/product' : '/orders/0/product';
      return request('hostile', target, body, { status: 422, slug: 'validation-failed', exactly: [path] });
    }),
  // Deep nesting, as the whole body or inside a field.
  fc
    .tuple(
      endpoint,
      validOrder,
      fc.integer({ min: 1, max: 200_000 }),
      fc.constantFrom('array', 'object'),
      fc.constantFrom('body', 'order_id', 'extra'),
    )
    .map(([target, order, depth, shape, where]) => {
      const nested = shape === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      if (where === 'body') {
        const expected = shape === 'array' ? expectationForJson(target, []) : expectationForJson(target, { a: 1 });
        return request('hostile', target, nested, expected);
      }
      const entries = Object.entries(order).filter(([key]) => key !== where);
      const text = objectText(entries).replace(/}$/, `${entries.length > 0 ? ',' : ''}${JSON.stringify(where)}:${nested}}`);
      const body = target === 'order' ? text : `{"orders":[${text}]}`;
      const prefix = target === 'order' ? '' : '/orders/0';
      return request('hostile', target, body, { status: 422, slug: 'validation-failed', exactly: [`${prefix}/${where}`] });
    }),
  // A required field missing, offered through __proto__ or constructor instead: it must stay missing.
  fc
    .tuple(validOrder, fc.constantFrom(...REQUIRED_ORDER_FIELDS), fc.constantFrom('__proto__', 'constructor'))
    .map(([order, field, key]) => {
      const entries: [string, unknown][] = [...Object.entries(order).filter(([name]) => name !== field), [key, { [field]: order[field] }]];
      return request('hostile', 'order', objectText(entries), {
        status: 422,
        slug: 'validation-failed',
        exactly: [pointer(field), pointer(key)].sort(),
      });
    }),
  // Prototype pollution attempts as the whole body.
  fc
    .tuple(
      endpoint,
      fc.constantFrom('{"__proto__":{"polluted":"yes"}}', '{"constructor":{"prototype":{"polluted":"yes"}}}', '{"__proto__":null}'),
    )
    .map(([target, body]) => request('hostile', target, body, expectationForJson(target, JSON.parse(body)))),
  // A duplicate key: JSON.parse keeps the last one, and that one is broken.
  fc.tuple(validOrder, fc.constantFrom(...REQUIRED_ORDER_FIELDS)).chain(([order, field]) =>
    brokenValue[field].map((value) =>
      request('hostile', 'order', objectText([...Object.entries(order), [field, value]]), {
        status: 422,
        slug: 'validation-failed',
        exactly: [pointer(field)],
      }),
    ),
  ),
);

/** Byte sequences that are not UTF-8: a stray continuation byte, overlong forms, surrogates, truncation, 0xFF. */
const INVALID_UTF8 = [
  [0x80],
  [0xc3, 0x28],
  [0xc0, 0xaf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf0, 0x9f, 0x98],
  [0xff],
  [0xfe, 0xfe],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
];

/** A valid order or batch sent base64-encoded with invalid UTF-8 inside a string: 400, never decoded leniently. */
export const invalidUtf8Bodies: fc.Arbitrary<BadRequest> = fc
  .tuple(endpoint, validOrder, fc.constantFrom(...INVALID_UTF8), fc.nat())
  .map(([target, order, bad, at]) => {
    const text = target === 'order' ? JSON.stringify(order) : JSON.stringify({ orders: [order] });
    const bytes = Buffer.from(text, 'utf8');
    // Inside the product's value, right after its opening quote, so the JSON stays well formed.
    const productStart = bytes.indexOf(Buffer.from('"product":"')) + '"product":"'.length;
    const insertAt = productStart + (at % 2);
    const body = Buffer.concat([bytes.subarray(0, insertAt), Buffer.from(bad), bytes.subarray(insertAt)]).toString('base64');
    const expected: Expectation = { status: 400, slug: 'invalid-json' };
    return { family: 'encoding', endpoint: target, body, isBase64Encoded: true, headers: JSON_HEADERS, expected } satisfies BadRequest;
  });

/** Content types that are not JSON in UTF-8 (or none), on an otherwise valid order: 415, and nothing sent. */
export const wrongContentTypes: fc.Arbitrary<BadRequest> = fc
  .tuple(
    endpoint,
    validOrder,
    fc.oneof(
      fc.constantFrom(
        'text/plain',
        'text/json',
        'application/xml',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/jsonp',
        'application/json-patch',
        'json',
        'application/',
        '*/*',
        'application/json; charset=iso-8859-1',
        'application/json; charset=utf-16',
        'application/json;charset=us-ascii',
        '',
        'none',
      ),
      fc.string({ maxLength: 40 }).map((text) => `text/${text}`),
      fc.string({ maxLength: 40 }).filter((text) => !text.includes('/')),
    ),
  )
  .map(([target, order, contentType]) => {
    const body = target === 'order' ? JSON.stringify(order) : JSON.stringify({ orders: [order] });
    const headers: Record<string, string> = contentType === 'none' ? {} : { 'Content-Type': contentType };
    return {
      family: 'content type',
      endpoint: target,
      body,
      isBase64Encoded: false,
      headers,
      expected: { status: 415, slug: 'unsupported-media-type' },
    } satisfies BadRequest;
  });

/** Malformed Idempotency-Key, traceparent or X-Amzn-Trace-Id on a valid order: 400 naming the header, and nothing sent. */
export const malformedHeaders: fc.Arbitrary<BadRequest> = fc
  .tuple(
    endpoint,
    validOrder,
    fc.oneof(
      fc
        .oneof(
          fc.constant(''),
          fc.string({ minLength: 129, maxLength: 300, unit: fc.constantFrom(...'abcXYZ-_:') }),
          fc
            .tuple(fc.string({ maxLength: 10 }), fc.constantFrom('\t', '\u007f', 'é', '\u0000', '🙂'))
            .map(([before, bad]) => `${before}${bad}`),
        )
        .map((value) => ['Idempotency-Key', 'idempotency-key', value] as const),
      fc
        .oneof(
          fc.string({ maxLength: 80 }),
          fc.constantFrom(
            '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
            'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
            '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01',
            '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
          ),
        )
        .map((value) => ['traceparent', 'traceparent', value] as const),
      fc
        .oneof(
          fc.string({ maxLength: 80 }),
          fc.constantFrom('Root=1-xyz', 'Root=2-67a1b2c3-0123456789abcdef01234567', 'Parent=1;Sampled=1'),
        )
        .map((value) => ['X-Amzn-Trace-Id', 'x-amzn-trace-id', value] as const),
    ),
  )
  .map(([target, order, [name, path, value]]) => {
    const body = target === 'order' ? JSON.stringify(order) : JSON.stringify({ orders: [order] });
    const headers = { ...JSON_HEADERS, [name]: value };
    const expected: Expectation = { status: 400, slug: 'invalid-header', exactly: [path] };
    return { family: 'header', endpoint: target, body, isBase64Encoded: false, headers, expected } satisfies BadRequest;
  });

/** Every family, with its share of a run at volume. */
export const BAD_REQUEST_FAMILIES: readonly (readonly [name: string, requests: fc.Arbitrary<BadRequest>, share: number])[] = [
  ['random JSON values', randomJson, 0.2],
  ['text that is mostly not JSON', notJson, 0.1],
  ['one order with one field broken, missing or unknown', nearValidOrders, 0.2],
  ['a batch with one order broken', nearValidBatches, 0.1],
  ['a batch broken as a whole', brokenBatches, 0.05],
  ['huge strings, deep nesting, __proto__ and constructor keys, duplicate keys', hostileBodies, 0.15],
  ['invalid UTF-8 in a base64 body', invalidUtf8Bodies, 0.08],
  ['content types other than JSON in UTF-8', wrongContentTypes, 0.07],
  ['malformed Idempotency-Key, traceparent and X-Amzn-Trace-Id', malformedHeaders, 0.05],
];

/** Every family, for a run that mixes them. */
export const anyBadRequest: fc.Arbitrary<BadRequest> = fc.oneof(...BAD_REQUEST_FAMILIES.map(([, requests]) => requests));
