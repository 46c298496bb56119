import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../lib/errors';
import { OrderSchema, orderJsonSchema } from '../../../../lib/orders/schema';
import { parseOrThrow } from '../../../../lib/validation';
import { exampleOrder } from '../../../support/events';

function fieldErrors(input: unknown) {
  try {
    parseOrThrow(OrderSchema, input);
  } catch (error) {
    if (error instanceof ValidationError) return error.errors;
    throw error;
  }
  return [];
}

describe('OrderSchema', () => {
  it.each([
    ['the example order', {}],
    ['ids with every allowed character', { order_id: 'A-z_0.9:x', user_id: 'u'.repeat(64) }],
    ['a 200-character product', { product: 'p'.repeat(200) }],
    ['the largest quantity', { quantity: 10_000 }],
    ['an amount with 2 decimals', { amount: 19.99 }],
    ['an amount with 1 decimal', { amount: 0.1 }],
    ['a currency', { currency: 'EUR' }],
    ['created_at in UTC', { created_at: '2026-11-26T10:00:00Z' }],
    ['created_at with an offset and fractions', { created_at: '2026-11-26T10:00:00.123+01:00' }],
  ])('accepts %s', (_, change) => {
    // Prepare
    const input = { ...exampleOrder(), ...change };
    // Act
    const order = parseOrThrow(OrderSchema, input);
    // Assess
    expect(order).toEqual(input);
  });

  it.each([
    ['order_id', { order_id: '' }, 'order_id must not be empty'],
    ['order_id', { order_id: 'a'.repeat(65) }, 'order_id must be at most 64 characters'],
    ['order_id', { order_id: 'has space' }, 'order_id may contain only letters, digits and . _ : -'],
    ['order_id', { order_id: 12345 }, 'Invalid input: expected string, received number'],
    ['user_id', { user_id: 'ü' }, 'user_id may contain only letters, digits and . _ : -'],
    ['user_id', { user_id: null }, 'Invalid input: expected string, received null'],
    ['product', { product: '' }, 'product must not be empty'],
    ['product', { product: '   ' }, 'product must not be blank'],
    ['product', { product: 'p'.repeat(201) }, 'product must be at most 200 characters'],
    ['quantity', { quantity: 0 }, 'quantity must be at least 1'],
    ['quantity', { quantity: 10_001 }, 'quantity must be at most 10000'],
    ['quantity', { quantity: 1.5 }, 'quantity must be a whole number'],
    ['quantity', { quantity: '1' }, 'Invalid input: expected number, received string'],
    ['amount', { amount: 0 }, 'amount must be greater than 0'],
    ['amount', { amount: -5 }, 'amount must be greater than 0'],
    ['amount', { amount: 1.005 }, 'amount must have at most 2 decimal places'],
    ['amount', { amount: 0.30000000000000004 }, 'amount must have at most 2 decimal places'],
    ['currency', { currency: 'eur' }, 'currency must be three upper-case letters (ISO 4217)'],
    ['currency', { currency: 'EURO' }, 'currency must be three upper-case letters (ISO 4217)'],
    ['created_at', { created_at: '2026-11-26 10:00:00' }, 'created_at must be an RFC 3339 timestamp with a time zone'],
    ['created_at', { created_at: '2026-11-26T10:00:00' }, 'created_at must be an RFC 3339 timestamp with a time zone'],
    ['created_at', { created_at: '2026-02-30T10:00:00Z' }, 'created_at must be an RFC 3339 timestamp with a time zone'],
  ])('rejects a bad %s: %j', (field, change, message) => {
    // Prepare
    const input = { ...exampleOrder(), ...change };
    // Act
    const errors = fieldErrors(input);
    // Assess
    expect(errors).toEqual([{ path: `/${field}`, message }]);
  });

  it.each(['order_id', 'user_id', 'product', 'quantity', 'amount'])('names a missing %s as required', (field) => {
    const input: Record<string, unknown> = exampleOrder();
    delete input[field];
    expect(fieldErrors(input)).toEqual([{ path: `/${field}`, message: 'is required' }]);
  });

  it('rejects non-finite amounts, which JSON cannot carry but a caller of the use case could', () => {
    expect(fieldErrors({ ...exampleOrder(), amount: Number.POSITIVE_INFINITY })).toHaveLength(1);
    expect(fieldErrors({ ...exampleOrder(), amount: Number.NaN })).toHaveLength(1);
  });

  it('names every unknown field, including __proto__ and constructor, rather than dropping them', () => {
    const input = JSON.parse(
      '{"order_id":"1","user_id":"u","product":"p","quantity":1,"amount":1,"__proto__":{"x":1},"constructor":1,"note":"hi"}',
    );
    expect(fieldErrors(input)).toEqual([
      { path: '/__proto__', message: 'unknown field' },
      { path: '/constructor', message: 'unknown field' },
      { path: '/note', message: 'unknown field' },
    ]);
  });

  it('names every bad field at once', () => {
    const errors = fieldErrors({ order_id: '', user_id: 'u', product: 'p', quantity: 0, amount: -1 });
    expect(errors.map((error) => error.path)).toEqual(['/order_id', '/quantity', '/amount']);
  });

  it.each([
    ['an array', [1]],
    ['a string', 'order'],
    ['null', null],
    ['a number', 42],
  ])('rejects %s as the body', (_, input) => {
    expect(fieldErrors(input)).toEqual([{ path: '', message: expect.stringContaining('expected object') }]);
  });

  it('exports a JSON Schema that states the same contract', () => {
    const schema = orderJsonSchema();
    expect(schema).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['order_id', 'user_id', 'product', 'quantity', 'amount'],
      properties: {
        quantity: { type: 'integer', minimum: 1, maximum: 10000 },
        amount: { type: 'number', exclusiveMinimum: 0, description: expect.stringContaining('at most 2 decimal places') },
        currency: { type: 'string', pattern: '^[A-Z]{3}$' },
        created_at: { type: 'string', format: 'date-time' },
      },
    });
  });
});
