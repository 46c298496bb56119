import { describe, expect, it } from 'vitest';
import { InvalidHeaderError } from '../../../../lib/errors';
import { readRecordContext } from '../../../../lib/http/record-context';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const AMZN = 'Root=1-67a1b2c3-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1';

describe('readRecordContext', () => {
  it('reads the headers whatever their case', () => {
    const context = readRecordContext({ headers: { 'Idempotency-Key': 'retry-me 1', TraceParent: TRACEPARENT, 'X-Amzn-Trace-Id': AMZN } });
    expect(context).toEqual({ idempotencyKey: 'retry-me 1', traceparent: TRACEPARENT, amznTraceId: AMZN });
  });

  it('leaves out what was not sent', () => {
    expect(readRecordContext({ headers: {} })).toEqual({ idempotencyKey: undefined, traceparent: undefined, amznTraceId: undefined });
  });

  it.each([
    ['Idempotency-Key', { 'idempotency-key': '' }],
    ['Idempotency-Key', { 'idempotency-key': 'k'.repeat(129) }],
    ['Idempotency-Key', { 'idempotency-key': 'tab\there' }],
    ['Idempotency-Key', { 'idempotency-key': 'clé' }],
    ['traceparent', { traceparent: 'not-a-trace' }],
    ['traceparent', { traceparent: TRACEPARENT.toUpperCase() }],
    ['traceparent', { traceparent: `ff${TRACEPARENT.slice(2)}` }],
    ['traceparent', { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' }],
    ['traceparent', { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01' }],
    ['X-Amzn-Trace-Id', { 'x-amzn-trace-id': 'Root=2-abc' }],
  ])('refuses a malformed %s with a 400 that names it', (name, headers) => {
    expect(() => readRecordContext({ headers })).toThrow(InvalidHeaderError);
    try {
      readRecordContext({ headers });
    } catch (error) {
      expect((error as InvalidHeaderError).errors.map((e) => e.path)).toEqual([name.toLowerCase()]);
    }
  });
});
