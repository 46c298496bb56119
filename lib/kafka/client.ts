import { Kafka, type KafkaConfig, logLevel as KafkaLogLevel, type logCreator } from 'kafkajs';
import type { Config } from '../config';
import type { Logger } from '../log';
import { type KafkaSecurity, type KafkaSecurityDeps, kafkaSecurity } from './auth';

/**
 * kafkajs logs through our structured logger, at WARN and above: its ERROR lines for each
 * failed attempt are retried and reported once by the publisher, so they are warnings here.
 */
function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, timestamp: _ownTime, ...extra } = log;
      const line = `kafkajs: ${message}`;
      if (level <= KafkaLogLevel.WARN && !EXPECTED_WARNINGS.some((expected) => message.startsWith(expected))) {
        logger.warn(line, extra);
      } else {
        logger.debug(line, extra);
      }
    };
}

/**
 * Warnings about choices made on purpose. Bounded retries on the idempotent producer are safe
 * here because the publisher discards the producer after any failed send (lib/kafka/publisher.ts).
 */
const EXPECTED_WARNINGS = ['Limiting retries for the idempotent producer'];

export function kafkaClientConfig(config: Config['kafka'], logger: Logger, security: KafkaSecurity = {}, debug = false): KafkaConfig {
  return {
    ...security,
    clientId: config.clientId,
    brokers: [...config.brokers],
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    enforceRequestTimeout: true,
    // Retries are few and short: the publisher's deadline is the real bound, and a retry that
    // starts after it is wasted work in a Lambda about to be frozen.
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
    logLevel: debug ? KafkaLogLevel.DEBUG : KafkaLogLevel.WARN,
    logCreator: kafkaLogCreator(logger),
  };
}

/**
 * Builds a kafkajs client for each new producer or admin client. It is async because SCRAM
 * credentials come from Secrets Manager; they are fetched once and cached by `security`.
 */
export function kafkaFactory(config: Config['kafka'], logger: Logger, security: KafkaSecurityDeps, debug = false): () => Promise<Kafka> {
  return async () => new Kafka(kafkaClientConfig(config, logger, await kafkaSecurity(config, security), debug));
}
