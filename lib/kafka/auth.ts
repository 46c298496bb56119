import type { KafkaConfig, OauthbearerProviderResponse } from 'kafkajs';
import type { Config } from '../config';
import { secretsManagerReader, UsernamePasswordSecret } from '../secrets';

/** What a Kafka client needs to reach MSK: TLS, and SASL credentials for the chosen mechanism. */
export type KafkaSecurity = Pick<KafkaConfig, 'ssl' | 'sasl'>;

/** The SCRAM username and password from Secrets Manager, shared by every client (lib/secrets.ts). */
export class ScramSecret extends UsernamePasswordSecret {
  constructor(secretId: string, fetchSecretString: (secretId: string) => Promise<string>) {
    super(secretId, fetchSecretString, 'MSK SCRAM secrets');
  }
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
