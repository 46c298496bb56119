import { type Config, parseConfig } from './config';
import { securityDeps } from './kafka/auth';
import { kafkaFactory } from './kafka/client';
import { KafkaPublisher } from './kafka/publisher';
import { createLogger, type Logger } from './log';
import { cloudWatchMetrics, type PublishMetrics } from './metrics';
import { makeOrderPublishing, type OrderPublishing } from './publish';

/** What every handler of this service needs, built once per execution environment. */
export interface Runtime {
  config: Config;
  logger: Logger;
  publisher: KafkaPublisher;
  /** What the publishing handlers take. */
  metrics: PublishMetrics;
  publishDeps: { orders: OrderPublishing; logger: Logger; metrics: PublishMetrics; deadline: { boundMs: number; marginMs: number } };
}

let runtime: Runtime | undefined;

export function createRuntime(config: Config = parseConfig()): Runtime {
  const logger = createLogger(config.logLevel);
  const security = securityDeps(config.kafka);
  const publisher = new KafkaPublisher(kafkaFactory(config.kafka, logger, security), config.kafka.topic, logger, () =>
    security.scramSecret?.forget(),
  );
  const metrics = cloudWatchMetrics();
  const orders = makeOrderPublishing({ publisher, logger, metrics, now: Date.now });
  const deadline = { boundMs: config.publishTimeoutMs, marginMs: config.deadlineMarginMs };
  return { config, logger, publisher, metrics, publishDeps: { orders, logger, metrics, deadline } };
}

/** The module-scoped runtime: the warm producer lives here, shared across invocations. */
export function defaultRuntime(): Runtime {
  runtime ??= createRuntime();
  return runtime;
}
