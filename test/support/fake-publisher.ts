import type { Deadline } from '../../lib/deadline';
import type { Logger } from '../../lib/log';
import type { PublishMetrics } from '../../lib/metrics';
import type { OutgoingMessage, Publisher, PublishResult } from '../../lib/publisher';

/** A Publisher that records what it was asked to send and answers as the test says. */
export class FakePublisher implements Publisher {
  readonly topic = 'order-events';
  readonly sent: OutgoingMessage[][] = [];
  readonly deadlines: Deadline[] = [];
  private nextOffset = 0;

  constructor(private readonly answer?: (messages: readonly OutgoingMessage[]) => PublishResult[]) {}

  async publish(messages: readonly OutgoingMessage[], { deadline }: { deadline: Deadline }): Promise<PublishResult[]> {
    this.sent.push([...messages]);
    this.deadlines.push(deadline);
    if (this.answer) return this.answer(messages);
    return messages.map((message) => ({
      status: 'written',
      delivery: { topic: 'order-events', partition: 0, offset: this.nextOffset++, timestamp: new Date(message.timestampMs).toISOString() },
    }));
  }
}

/** A logger that keeps every line, to assert on what was (and was not) logged. */
export class RecordingLogger implements Logger {
  readonly lines: { level: string; message: string; extra: unknown[] }[] = [];
  debug(message: string, ...extra: unknown[]) {
    this.lines.push({ level: 'DEBUG', message, extra });
  }
  info(message: string, ...extra: unknown[]) {
    this.lines.push({ level: 'INFO', message, extra });
  }
  warn(message: string, ...extra: unknown[]) {
    this.lines.push({ level: 'WARN', message, extra });
  }
  error(message: string, ...extra: unknown[]) {
    this.lines.push({ level: 'ERROR', message, extra });
  }
  appendKeys(keys: Record<string, unknown>) {
    this.keys = { ...this.keys, ...keys };
  }
  keys: Record<string, unknown> = {};
}

/** Metrics kept in memory, to assert on what an invocation counted. */
export class RecordingMetrics implements PublishMetrics {
  readonly counted: { name: string; value: number; dimension?: string }[] = [];
  flushes = 0;
  published(count: number, latencyMs: number) {
    this.counted.push({ name: 'OrdersPublished', value: count }, { name: 'PublishLatency', value: latencyMs });
  }
  batchSize(size: number) {
    this.counted.push({ name: 'BatchSize', value: size });
  }
  failed(reason: string, count: number) {
    this.counted.push({ name: 'PublishFailures', value: count, dimension: reason });
  }
  rejected(status: number) {
    this.counted.push({ name: 'RequestsRejected', value: 1, dimension: String(status) });
  }
  idempotentReplay() {
    this.counted.push({ name: 'IdempotentReplays', value: 1 });
  }
  idempotencyConflict(reason: string) {
    this.counted.push({ name: 'IdempotencyConflicts', value: 1, dimension: reason });
  }
  idempotencyStoreError(operation: string) {
    this.counted.push({ name: 'IdempotencyStoreErrors', value: 1, dimension: operation });
  }
  reconciliation(outcome: string, latencyMs: number) {
    this.counted.push({ name: 'Reconciliations', value: 1, dimension: outcome }, { name: 'ReconcileLatency', value: latencyMs });
  }
  flush() {
    this.flushes++;
  }
}
