import type { KafkaConfig, OauthbearerProviderResponse } from 'kafkajs';
import * as z from 'zod';
import type { Config } from '../config';

/** What a Kafka client needs to reach MSK: TLS, and SASL credentials for the chosen mechanism. */
export type KafkaSecurity = Pick<KafkaConfig, 'ssl' | 'sasl'>;

const ScramSecretSchema = z.object({ username: z.string().min(1), password: z.string().min(1) });
export type ScramCredentials = z.infer<typeof ScramSecretSchema>;

/**
 * The SCRAM username and password from Secrets Manager, fetched once per execution environment
 * and shared by every client. Forgotten when the broker refuses them, so that a rotated secret
 * is picked up by the next invocation rather than failing until the next cold start.
 */
export class ScramSecret {
  private cached: Promise<ScramCredentials> | undefined;

  constructor(
    private readonly secretId: string,
    private readonly fetchSecretString: (secretId: string) => Promise<string>,
  ) {}

  get(): Promise<ScramCredentials> {
    this.cached ??= this.load().catch((error: unknown) => {
      this.cached = undefined;
      throw error;
    });
    return this.cached;
  }

  forget(): void {
    this.cached = undefined;
  }

  private async load(): Promise<ScramCredentials> {
    const secretString = await this.fetchSecretString(this.secretId);
    let parsed: unknown;
    try {
      parsed = JSON.parse(secretString);
    } catch {
      // Never echo the secret: not even a fragment in a JSON syntax error.
      throw new Error(`Secret ${this.secretId} is not JSON; MSK SCRAM secrets hold {"username","password"}`);
    }
    const result = ScramSecretSchema.safeParse(parsed);
    if (!result.success) throw new Error(`Secret ${this.secretId} lacks a non-empty "username" and "password"`);
    return result.data;
  }
}

/** The SecretString of a Secrets Manager secret, with one SDK client per execution environment. */
export function secretsManagerReader(): (secretId: string) => Promise<string> {
  let client: import('@aws-sdk/client-secrets-manager').SecretsManagerClient | undefined;
  return async (secretId) => {
    const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    client ??= new SecretsManagerClient({});
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (SecretString === undefined) throw new Error(`Secret ${secretId} has no SecretString`);
    return SecretString;
  };
}

export interface IamToken {
  token: string;
  /** Milliseconds since the epoch. */
  expiryTime: number;
}

/**
 * kafkajs asks for an OAUTHBEARER token on every new broker connection. MSK IAM tokens are
 * signed URLs valid for 15 minutes: reuse one until it is close to expiry, and let concurrent
 * connections share a single signing.
 */
export class IamTokenProvider {
  private token: IamToken | undefined;
  private refreshing: Promise<void> | undefined;
  /** Tokens signed so far. */
  signed = 0;

  constructor(
    private readonly sign: () => Promise<IamToken>,
    private readonly now: () => number = Date.now,
    private readonly refreshBeforeExpiryMs = 60_000,
  ) {}

  readonly provide = async (): Promise<OauthbearerProviderResponse> => {
    if (!this.token || this.token.expiryTime - this.now() <= this.refreshBeforeExpiryMs) {
      this.refreshing ??= this.refresh();
      await this.refreshing;
    }
    return { value: (this.token as IamToken).token };
  };

  private async refresh(): Promise<void> {
    try {
      this.token = await this.sign();
      this.signed++;
    } finally {
      this.refreshing = undefined;
    }
  }
}

/** Signs MSK IAM tokens with the execution role's credentials (AWS's official signer). */
export function mskIamSigner(region: string): () => Promise<IamToken> {
  return async () => {
    const { generateAuthToken } = await import('aws-msk-iam-sasl-signer-js');
    return generateAuthToken({ region });
  };
}

export interface KafkaSecurityDeps {
  scramSecret?: ScramSecret;
  iamTokens?: IamTokenProvider;
}

/** The secret and token sources for a configuration: built once, at cold start. */
export function securityDeps(config: Config['kafka']): KafkaSecurityDeps {
  switch (config.auth.mechanism) {
    case 'scram':
      return { scramSecret: new ScramSecret(config.auth.secretId, secretsManagerReader()) };
    case 'iam':
      return { iamTokens: new IamTokenProvider(mskIamSigner(config.auth.region)) };
    default:
      return {};
  }
}

/** TLS and SASL options for a new kafkajs client. */
export async function kafkaSecurity(config: Config['kafka'], deps: KafkaSecurityDeps): Promise<KafkaSecurity> {
  const ssl = config.tls;
  switch (config.auth.mechanism) {
    case 'scram': {
      if (!deps.scramSecret) throw new Error('KAFKA_AUTH=scram needs a secret source');
      const { username, password } = await deps.scramSecret.get();
      return { ssl, sasl: { mechanism: 'scram-sha-512', username, password } };
    }
    case 'iam': {
      if (!deps.iamTokens) throw new Error('KAFKA_AUTH=iam needs a token provider');
      return { ssl, sasl: { mechanism: 'oauthbearer', oauthBearerProvider: deps.iamTokens.provide } };
    }
    default:
      return { ssl };
  }
}
