import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type FetchedMessage, formatJson, formatLine, type TailRecord, toTailRecord, wantsColour } from '../../../scripts/tail/format';

const EVENT_ID = '3f1c2d9e-5b7a-4c1e-9d2f-0a1b2c3d4e5f';
const ORDER = { order_id: '12345', user_id: 'user789', product: 'Laptop', quantity: 1, amount: 75000 };

const record = (overrides: Partial<TailRecord> = {}): TailRecord => ({
  partition: 1,
  offset: 42,
  timestampMs: Date.parse('2026-11-26T10:00:00.123Z'),
  key: 'user789',
  headers: { 'event-id': EVENT_ID, 'event-type': 'order.placed' },
  value: JSON.stringify(ORDER),
  ...overrides,
});

/** What a terminal shows of a coloured line. */
const shownText = stripVTControlCharacters;

describe('formatLine', () => {
  it('prints partition, offset, time, key, event id and the order on one plain line', () => {
    // Act
    const line = formatLine(record(), { colour: false });
    // Assess
    expect(line).toBe(
      `p1@42 2026-11-26T10:00:00.123Z key=user789 event-id=${EVENT_ID} {"order_id":"12345","user_id":"user789","product":"Laptop","quantity":1,"amount":75000}`,
    );
  });

  it('colours the fields on a terminal, and shows the same text', () => {
    // Act
    const coloured = formatLine(record(), { colour: true });
    // Assess
    expect(coloured).toContain('\x1b[36mp1@42\x1b[0m');
    expect(coloured).toContain(`\x1b[35m${EVENT_ID}\x1b[0m`);
    expect(coloured).toContain('\x1b[33muser789\x1b[0m');
    expect(shownText(coloured)).toBe(formatLine(record(), { colour: false }));
  });

  it.each<{ what: string; overrides: Partial<TailRecord>; expected: string }>([
    { what: 'no key', overrides: { key: null }, expected: 'key=(none)' },
    { what: 'no event-id header', overrides: { headers: {} }, expected: 'event-id=(none)' },
    { what: 'a tombstone', overrides: { value: null }, expected: ' (no value)' },
    { what: 'a value that is not JSON', overrides: { value: 'oops {' }, expected: ' (not JSON) "oops {"' },
    { what: 'a key with a space', overrides: { key: 'two words' }, expected: 'key="two words"' },
    { what: 'a repeated event-id header', overrides: { headers: { 'event-id': ['a', 'b'] } }, expected: 'event-id=a,b' },
  ])('shows $what', ({ overrides, expected }) => {
    for (const colour of [false, true]) expect(shownText(formatLine(record(overrides), { colour }))).toContain(expected);
  });

  it.each<{ what: string; overrides: Partial<TailRecord> }>([
    { what: 'key', overrides: { key: 'evil\x1b[2Jkey' } },
    { what: 'value', overrides: { value: JSON.stringify({ product: 'Laptop\x1b]0;pwned\x07\u009b31m' }) } },
    { what: 'non-JSON value', overrides: { value: '\x1b[31mred' } },
    { what: 'event id', overrides: { headers: { 'event-id': 'id\u202egnp.exe' } } },
  ])('escapes control characters of the $what, so that a record cannot drive the terminal', ({ overrides }) => {
    // Act
    const plain = formatLine(record(overrides), { colour: false });
    // Assess
    expect(plain).not.toMatch(/[\p{Cc}\u202e]/u);
    expect(plain).toMatch(/\\u(001b|009b|202e)/);
  });
});

describe('formatJson', () => {
  it('prints one object with the order parsed and the time in ISO', () => {
    expect(JSON.parse(formatJson(record()))).toEqual({
      partition: 1,
      offset: 42,
      timestamp: '2026-11-26T10:00:00.123Z',
      key: 'user789',
      headers: { 'event-id': EVENT_ID, 'event-type': 'order.placed' },
      order: ORDER,
    });
  });

  it('keeps a value that is not JSON as text, and a tombstone as null', () => {
    expect(JSON.parse(formatJson(record({ value: 'oops {' })))).toMatchObject({ order: null, value: 'oops {' });
    expect(JSON.parse(formatJson(record({ value: null })))).toMatchObject({ order: null, value: null });
  });

  it('is one line whatever the record holds', () => {
    expect(formatJson(record({ key: 'a\nb', value: '{\n  "pretty": true\n}' }))).not.toContain('\n');
  });
});

describe('toTailRecord', () => {
  it("decodes kafkajs's buffers: key, value, headers and repeated headers", () => {
    // Prepare
    const message: FetchedMessage = {
      offset: '7',
      timestamp: '1795780800123',
      key: Buffer.from('user789'),
      value: Buffer.from('{"a":1}'),
      headers: { 'event-id': Buffer.from(EVENT_ID), twice: [Buffer.from('x'), Buffer.from('y')], gone: undefined },
    };
    // Act
    const decoded = toTailRecord(2, message);
    // Assess
    expect(decoded).toEqual({
      partition: 2,
      offset: 7,
      timestampMs: 1795780800123,
      key: 'user789',
      headers: { 'event-id': EVENT_ID, twice: ['x', 'y'] },
      value: '{"a":1}',
    });
    expect(toTailRecord(0, { ...message, key: null, value: null })).toMatchObject({ key: null, value: null });
  });
});

describe('wantsColour', () => {
  it.each([
    { isTTY: true, env: {}, colour: true },
    { isTTY: true, env: { NO_COLOR: '1' }, colour: false },
    // no-color.org: an empty NO_COLOR does not count.
    { isTTY: true, env: { NO_COLOR: '' }, colour: true },
    { isTTY: false, env: {}, colour: false },
    { isTTY: undefined, env: {}, colour: false },
  ])('is $colour on a TTY: $isTTY with $env', ({ isTTY, env, colour }) => {
    expect(wantsColour({ isTTY }, env)).toBe(colour);
  });
});
