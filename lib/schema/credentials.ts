import * as z from 'zod';

const BasicSecretSchema = z.object({ username: z.string().min(1), password: z.string().min(1) });

/**
 * The registry's basic-auth credentials (Confluent Cloud: the API key as username, its secret as
 * password) from a Secrets Manager secret holding {"username","password"}, as the SCRAM secret is
 * read (lib/kafka/auth.ts): fetched once per execution environment, forgotten when the registry
 * refuses them so that a rotated secret is read again. Only the Authorization header leaves this
 * class, and it is never logged.
 */
export class RegistryCredentials {
  private cached: Promise<string> | undefined;

  constructor(
    readonly secretId: string,
    private readonly fetchSecretString: (secretId: string) => Promise<string>,
  ) {}

  /** `Basic <base64(username:password)>`. */
  authorization(): Promise<string> {
    this.cached ??= this.load().catch((error: unknown) => {
      this.cached = undefined;
      throw error;
    });
    return this.cached;
  }

  forget(): void {
    this.cached = undefined;
  }

  private async load(): Promise<string> {
    const secretString = await this.fetchSecretString(this.secretId);
    let parsed: unknown;
    try {
      parsed = JSON.parse(secretString);
    } catch {
      // Never echo the secret: not even a fragment in a JSON syntax error.
      throw new Error(`Secret ${this.secretId} is not JSON; a schema registry secret holds {"username","password"}`);
    }
    const result = BasicSecretSchema.safeParse(parsed);
    if (!result.success) throw new Error(`Secret ${this.secretId} lacks a non-empty "username" and "password"`);
    return `Basic ${Buffer.from(`${result.data.username}:${result.data.password}`).toString('base64')}`;
  }
}
