/** A point in time by which an answer is due; every Kafka wait is bounded by one. */
export class Deadline {
  constructor(
    readonly at: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The smaller of the configured bound and the Lambda's remaining time less a margin, so the
   * handler still answers (and logs) before Lambda or API Gateway (29 s) cut it off.
   */
  static forInvocation(remainingTimeMs: number, options: { boundMs: number; marginMs: number }, now: () => number = Date.now): Deadline {
    const budget = Math.min(options.boundMs, remainingTimeMs - options.marginMs);
    return new Deadline(now() + budget, now);
  }

  remainingMs(): number {
    return Math.max(0, this.at - this.now());
  }

  hasPassed(): boolean {
    return this.remainingMs() === 0;
  }
}

export class DeadlineExceededError extends Error {
  constructor() {
    super('The deadline passed');
    this.name = 'DeadlineExceededError';
  }
}

/**
 * Settles with `work`, or rejects with DeadlineExceededError when the deadline passes first.
 * The work itself is not cancelled (kafkajs cannot cancel a send); the caller decides what an
 * abandoned operation means.
 */
export async function beforeDeadline<T>(work: Promise<T>, deadline: Deadline): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceededError()), deadline.remainingMs());
  });
  try {
    return await Promise.race([work, expiry]);
  } finally {
    clearTimeout(timer);
  }
}
