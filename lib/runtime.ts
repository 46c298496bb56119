import { type Config, parseConfig } from './config';
import { type IdempotentPublishing, makeIdempotentPublishing } from './idempotency/idempotent-publishing';
import { lazyDynamoDbStore } from './idempotency/lazy-store';
import { type KafkaSecurityDeps, securityDeps } from './kafka/auth';
import { kafkaFactory } from './kafka/client';
import { compressionType } from './kafka/compression';
import { KafkaPublisher } from './kafka/publisher';
import { createLogger, type Logger } from './log';
import { cloudWatchMetrics, type PublishMetrics } from './metrics';
import { makeOrderPublishing } from './publish';
import type { RegistryValues } from './schema/registry-values';
import { type RegistrySetupDeps, registryValues } from './schema/setup';

/** What every handler of this service needs, built once per execution environment. */
export interface Runtime {
  config: Config;
  logger: Logger;
  publisher: KafkaPublisher;
  /** What the publishing handlers take. */
  metrics: PublishMetrics;
  /** Registry mode's framing, when SCHEMA_REGISTRY_URL is set. */
  values: RegistryValues | undefined;
  publishDeps: {
    orders: IdempotentPublishing;
    logger: Logger;
    metrics: PublishMetrics;
    deadline: { boundMs: number; marginMs: number };
    afterInvocation?: () => Promise<void>;
  };
  /** `sls invoke local` only: closes the clients after each invocation (see defaultRuntime). */
  afterInvocation?: () => Promise<void>;
}

let runtime: Runtime | undefined;

/** `security` replaces the Secrets Manager and IAM sources, for tests that have no AWS; `registry`, the registry secret reader. */
export function createRuntime(
  config: Config = parseConfig(),
  { security = securityDeps(config.kafka), registry = {} }: { security?: KafkaSecurityDeps; registry?: RegistrySetupDeps } = {},
): Runtime {
  const logger = createLogger(config.logLevel);
  const values = config.schemaRegistry ? registryValues(config.schemaRegistry, config.kafka.topic, logger, registry) : undefined;
  const kafka = kafkaFactory(config.kafka, logger, security, config.logLevel === 'DEBUG');
  const publisher = new KafkaPublisher(
    kafka,
    config.kafka.topic,
    logger,
    () => security.scramSecret?.forget(),
    compressionType(config.kafka.compression),
  );
  const metrics = cloudWatchMetrics();
  const { table, ttlSeconds, keyRequired, settleMs } = config.idempotency;
  const orders = makeIdempotentPublishing({
    orders: makeOrderPublishing({ publisher, values, logger, metrics, now: Date.now }),
    store: table === undefined ? undefined : lazyDynamoDbStore({ table, region: config.awsRegion, settleMs }),
    finder: publisher,
    // Recording an outcome after the deadline uses part of the margin kept before Lambda's timeout.
    policy: { ttlSeconds, keyRequired, settleMs, finishMs: Math.floor(config.deadlineMarginMs * 0.6) },
    logger,
    metrics,
    now: Date.now,
  });
  const deadline = { boundMs: config.publishTimeoutMs, marginMs: config.deadlineMarginMs };
  // `sls invoke local` (serverless sets IS_LOCAL) runs one invocation in a plain Node process,
  // which waits for everything to close before it exits; kafkajs keeps a request-timeout interval
  // per connection (src/network/requestQueue), so warm clients would keep it running until the
  // broker reaps them, ten minutes later. Lambda freezes the process instead, and serverless-offline
  // keeps its workers: both keep the warm clients.
  const afterInvocation = process.env.IS_LOCAL === 'true' ? () => publisher.close() : undefined;
  return {
    config,
    logger,
    publisher,
    metrics,
    values,
    ...(afterInvocation ? { afterInvocation } : {}),
    publishDeps: { orders, logger, metrics, deadline, ...(afterInvocation ? { afterInvocation } : {}) },
  };
}

/** The module-scoped runtime: the warm producer lives here, shared across invocations. */
export function defaultRuntime(): Runtime {
  if (!runtime) {
    runtime = createRuntime();
    // Only where Lambda's runtime (or serverless-offline, which sets the same variable) owns the
    // process: elsewhere, a test runner's SIGTERM is not ours to handle.
    if (process.env.AWS_LAMBDA_FUNCTION_NAME) closeOnSigterm(runtime);
  }
  return runtime;
}

/** Lambda kills the process 500 ms after SIGTERM; leave room to exit on our own. */
const SHUTDOWN_GRACE_MS = 400;

/**
 * Lambda sends SIGTERM before it shuts an execution environment down, but only when an extension
 * is registered (Lambda Insights, the Powertools or ADOT layers…). Disconnecting then lets the
 * brokers release the connections at once instead of after connections.max.idle.ms.
 */
export function closeOnSigterm({ publisher, logger }: Pick<Runtime, 'publisher' | 'logger'>, exit: (code: number) => void = process.exit) {
  process.once('SIGTERM', () => {
    const giveUp = setTimeout(() => exit(0), SHUTDOWN_GRACE_MS);
    publisher
      .close()
      .then(
        () => logger.info('SIGTERM: the Kafka clients are disconnected'),
        (error: unknown) => logger.warn('SIGTERM: the Kafka clients did not disconnect cleanly', { error }),
      )
      .finally(() => {
        clearTimeout(giveUp);
        exit(0);
      });
  });
}
