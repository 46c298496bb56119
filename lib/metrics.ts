import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** What the Idempotency-Key store counts. */
export interface IdempotencyMetrics {
  /** A stored answer served again. */
  idempotentReplay(): void;
  /** A key refused: still in flight (409), or reused for another request (422). */
  idempotencyConflict(reason: 'in-flight' | 'reused'): void;
  /** The store failed to answer, by what was asked of it (claim, store the answer…). */
  idempotencyStoreError(operation: string): void;
  /** A retry after an unknown outcome read the log: found the records, did not, or could not tell in time. */
  reconciliation(outcome: 'found' | 'not-found' | 'undecided', latencyMs: number): void;
}

/** What the publisher counts; CloudWatch gets it as Embedded Metric Format lines in the log. */
export interface PublishMetrics extends IdempotencyMetrics {
  published(count: number, latencyMs: number): void;
  batchSize(size: number): void;
  /** Orders Kafka did not take, by the error's kind (KafkaUnavailableError, PublishOutcomeUnknownError…). */
  failed(reason: string, count: number): void;
  /** Requests answered with a 4xx or 5xx problem, by status. */
  rejected(status: number): void;
  /** Writes what this invocation counted. */
  flush(): void;
}

export function cloudWatchMetrics(): PublishMetrics {
  const metrics = new Metrics({ namespace: 'OrderPublisher', serviceName: 'order-publisher' });
  const byDimension = (name: string, dimension: string, value: string, count: number) => {
    const single = metrics.singleMetric();
    single.addDimension(dimension, value);
    single.addMetric(name, MetricUnit.Count, count);
  };
  return {
    published(count, latencyMs) {
      metrics.addMetric('OrdersPublished', MetricUnit.Count, count);
      metrics.addMetric('PublishLatency', MetricUnit.Milliseconds, latencyMs);
    },
    batchSize(size) {
      metrics.addMetric('BatchSize', MetricUnit.Count, size);
    },
    failed(reason, count) {
      byDimension('PublishFailures', 'reason', reason, count);
    },
    rejected(status) {
      byDimension('RequestsRejected', 'status', String(status), 1);
    },
    idempotentReplay() {
      metrics.addMetric('IdempotentReplays', MetricUnit.Count, 1);
    },
    idempotencyConflict(reason) {
      byDimension('IdempotencyConflicts', 'reason', reason, 1);
    },
    idempotencyStoreError(operation) {
      // Once in all, for the alarm, and once by what was asked of the store, for the dashboard.
      metrics.addMetric('IdempotencyStoreErrors', MetricUnit.Count, 1);
      byDimension('IdempotencyStoreErrors', 'operation', operation, 1);
    },
    reconciliation(outcome, latencyMs) {
      byDimension('Reconciliations', 'outcome', outcome, 1);
      metrics.addMetric('ReconcileLatency', MetricUnit.Milliseconds, latencyMs);
    },
    flush() {
      // Powertools warns on every flush without metrics; a 4xx-only invocation has none.
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}
