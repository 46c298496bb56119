import * as z from 'zod';

const UsernamePasswordSchema = z.object({ username: z.string().min(1), password: z.string().min(1) });
export type UsernamePassword = z.infer<typeof UsernamePasswordSchema>;

/**
 * A username and password from a Secrets Manager secret holding {"username","password"} (MSK's
 * SCRAM secrets, a schema registry's API key): fetched once per execution environment and shared,
 * forgotten when the server refuses them, so that a rotated secret is read by the next invocation
 * rather than failing until the next cold start. Errors never echo the secret.
 */
export class UsernamePasswordSecret {
  private cached: Promise<UsernamePassword> | undefined;

  constructor(
    readonly secretId: string,
    private readonly fetchSecretString: (secretId: string) => Promise<string>,
    /** What the secret is for, as errors name it: "MSK SCRAM secrets". */
    private readonly what: string,
  ) {}

  get(): Promise<UsernamePassword> {
    this.cached ??= this.load().catch((error: unknown) => {
      this.cached = undefined;
      throw error;
    });
    return this.cached;
  }

  forget(): void {
    this.cached = undefined;
  }

  private async load(): Promise<UsernamePassword> {
    const secretString = await this.fetchSecretString(this.secretId);
    let parsed: unknown;
    try {
      parsed = JSON.parse(secretString);
    } catch {
      // Never echo the secret: not even a fragment in a JSON syntax error.
      throw new Error(`Secret ${this.secretId} is not JSON; ${this.what} hold {"username","password"}`);
    }
    const result = UsernamePasswordSchema.safeParse(parsed);
    if (!result.success) throw new Error(`Secret ${this.secretId} lacks a non-empty "username" and "password"`);
    return result.data;
  }
}

let secretsManager: import('@aws-sdk/client-secrets-manager').SecretsManagerClient | undefined;

/**
 * The SecretString of a Secrets Manager secret. The SDK client is loaded on first use and shared by
 * every reader of the execution environment (SCRAM's and the registry's): one client, one
 * credential chain.
 */
export function secretsManagerReader(): (secretId: string) => Promise<string> {
  return async (secretId) => {
    const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    secretsManager ??= new SecretsManagerClient({});
    const { SecretString } = await secretsManager.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (SecretString === undefined) throw new Error(`Secret ${secretId} has no SecretString`);
    return SecretString;
  };
}
