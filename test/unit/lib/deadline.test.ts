import { describe, expect, it } from 'vitest';
import { beforeDeadline, Deadline, DeadlineExceededError } from '../../../lib/deadline';

describe('Deadline', () => {
  it.each([
    [60_000, { boundMs: 10_000, marginMs: 500 }, 10_000],
    [3_000, { boundMs: 10_000, marginMs: 500 }, 2_500],
    [400, { boundMs: 10_000, marginMs: 500 }, 0],
  ])('with %i ms left and %o, allows %i ms', (remaining, options, expected) => {
    const deadline = Deadline.forInvocation(remaining, options, () => 1_000);
    expect(new Deadline(deadline.at, () => 1_000).remainingMs()).toBe(expected);
  });

  it('lets work that finishes in time through', async () => {
    await expect(beforeDeadline(Promise.resolve('done'), new Deadline(Date.now() + 1_000))).resolves.toBe('done');
  });

  it('rejects when the deadline passes first, without waiting for the work', async () => {
    const started = Date.now();
    const never = new Promise(() => {});
    await expect(beforeDeadline(never, new Deadline(Date.now() + 50))).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
