import type { SchemaRegistryConfig } from '../config';
import type { Logger } from '../log';
import { secretsManagerReader } from '../secrets';
import { RegistryCredentials } from './credentials';
import { schemaFormat, subjectName } from './formats';
import { type HttpSend, RegistryClient } from './registry-client';
import { RegistryValues } from './registry-values';

export interface RegistrySetupDeps {
  /** The SecretString of a secret: Secrets Manager's unless a test gives another. */
  readSecret?: (secretId: string) => Promise<string>;
  fetch?: HttpSend;
}

/** The registry client of a configuration, with its credentials when it has some. */
export function registryClient(config: SchemaRegistryConfig, { readSecret, fetch }: RegistrySetupDeps = {}): RegistryClient {
  const credentials =
    config.auth.mechanism === 'basic' ? new RegistryCredentials(config.auth.secretId, readSecret ?? secretsManagerReader()) : undefined;
  return new RegistryClient({
    url: config.url,
    ...(credentials ? { authorization: () => credentials.authorization(), onAuthenticationFailure: () => credentials.forget() } : {}),
    ...(fetch ? { fetch } : {}),
  });
}

/** Registry mode for a configuration: the order's format, its subject on this topic, and the client. */
export function registryValues(config: SchemaRegistryConfig, topic: string, logger: Logger, deps: RegistrySetupDeps = {}): RegistryValues {
  const format = schemaFormat(config.format);
  return new RegistryValues({
    client: registryClient(config, deps),
    format,
    subject: subjectName(config.subjectStrategy, topic, format),
    autoRegister: config.autoRegister,
    logger,
    secretId: config.auth.mechanism === 'basic' ? config.auth.secretId : undefined,
  });
}
