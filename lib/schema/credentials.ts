import { UsernamePasswordSecret } from '../secrets';

/**
 * The registry's basic-auth credentials (Confluent Cloud: the API key as username, its secret as
 * password) from a Secrets Manager secret, read as the SCRAM secret is (lib/secrets.ts). Only the
 * Authorization header leaves this class, and it is never logged.
 */
export class RegistryCredentials {
  private readonly secret: UsernamePasswordSecret;

  constructor(secretId: string, fetchSecretString: (secretId: string) => Promise<string>) {
    this.secret = new UsernamePasswordSecret(secretId, fetchSecretString, 'schema registry secrets');
  }

  /** `Basic <base64(username:password)>`. */
  async authorization(): Promise<string> {
    const { username, password } = await this.secret.get();
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  forget(): void {
    this.secret.forget();
  }
}
