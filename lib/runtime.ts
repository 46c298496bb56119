import { type Config, parseConfig } from './config';
import { createKafka } from './kafka/client';
import { KafkaPublisher } from './kafka/publisher';
import { createLogger, type Logger } from './log';
import { makeOrderPublishing, type OrderPublishing } from './publish';

/** What every handler of this service needs, built once per execution environment. */
export interface Runtime {
  config: Config;
  logger: Logger;
  publisher: KafkaPublisher;
  /** What the publishing handlers take. */
  publishDeps: { orders: OrderPublishing; logger: Logger; deadline: { boundMs: number; marginMs: number } };
}

let runtime: Runtime | undefined;

export function createRuntime(config: Config = parseConfig()): Runtime {
  const logger = createLogger(config.logLevel);
  const publisher = new KafkaPublisher(createKafka(config.kafka, logger), config.kafka.topic, logger);
  const orders = makeOrderPublishing({ publisher, logger, now: Date.now });
  const deadline = { boundMs: config.publishTimeoutMs, marginMs: config.deadlineMarginMs };
  return { config, logger, publisher, publishDeps: { orders, logger, deadline } };
}

/** The module-scoped runtime: the warm producer lives here, shared across invocations. */
export function defaultRuntime(): Runtime {
  runtime ??= createRuntime();
  return runtime;
}
