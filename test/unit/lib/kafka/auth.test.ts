import { generateAuthTokenFromCredentialsProvider } from 'aws-msk-iam-sasl-signer-js';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../lib/config';
import { IamTokenProvider, kafkaSecurity, ScramSecret } from '../../../../lib/kafka/auth';

describe('IamTokenProvider (MSK IAM over SASL/OAUTHBEARER)', () => {
  function clockAndSigner(lifetimeMs = 900_000) {
    let now = 1_000_000;
    let signed = 0;
    const sign = async () => ({ token: `token-${++signed}`, expiryTime: now + lifetimeMs });
    return { sign, now: () => now, advance: (ms: number) => (now += ms) };
  }

  it('signs once and hands the same token to every connection while it is fresh', async () => {
    const { sign, now, advance } = clockAndSigner();
    const provider = new IamTokenProvider(sign, now);
    const tokens = await Promise.all([provider.provide(), provider.provide(), provider.provide()]);
    advance(600_000);
    tokens.push(await provider.provide());
    expect(tokens.map((token) => token.value)).toEqual(['token-1', 'token-1', 'token-1', 'token-1']);
    expect(provider.signed).toBe(1);
  });

  it('signs a new token a minute before the old one expires', async () => {
    const { sign, now, advance } = clockAndSigner();
    const provider = new IamTokenProvider(sign, now);
    await provider.provide();
    advance(900_000 - 60_000);
    expect((await provider.provide()).value).toBe('token-2');
    expect(provider.signed).toBe(2);
  });

  it('tries again on the next connection when signing failed', async () => {
    let calls = 0;
    const provider = new IamTokenProvider(async () => {
      calls++;
      if (calls === 1) throw new Error('no credentials');
      return { token: 'token-ok', expiryTime: Date.now() + 900_000 };
    });
    await expect(provider.provide()).rejects.toThrow('no credentials');
    expect((await provider.provide()).value).toBe('token-ok');
  });

  it("signs a real MSK token with AWS's signer from injected credentials, with no network", async () => {
    const sign = () =>
      generateAuthTokenFromCredentialsProvider({
        region: 'eu-west-1',
        awsCredentialsProvider: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }),
      });
    const provider = new IamTokenProvider(sign);
    const { value } = await provider.provide();
    const url = new URL(Buffer.from(value, 'base64url').toString('utf8'));
    expect(url.hostname).toBe('kafka.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('kafka-cluster:Connect');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\/\d{8}\/eu-west-1\/kafka-cluster\/aws4_request$/);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
  });

  it('is what kafkajs gets as its OAUTHBEARER provider, over TLS', async () => {
    const config = parseConfig({ KAFKA_AUTH: 'iam', AWS_REGION: 'eu-west-1', KAFKA_BROKERS: 'b-1.msk:9098' }).kafka;
    const iamTokens = new IamTokenProvider(async () => ({ token: 't', expiryTime: Date.now() + 900_000 }));
    const security = await kafkaSecurity(config, { iamTokens });
    expect(security).toEqual({ ssl: true, sasl: { mechanism: 'oauthbearer', oauthBearerProvider: iamTokens.provide } });
  });
});

describe('ScramSecret (MSK SCRAM from Secrets Manager)', () => {
  const SENTINEL = 'sentinel-password-7c1f';

  it('fetches the secret once and shares it', async () => {
    const fetched: string[] = [];
    const secret = new ScramSecret('AmazonMSK_orders', async (id) => {
      fetched.push(id);
      return JSON.stringify({ username: 'orders', password: SENTINEL });
    });
    const [first, second] = await Promise.all([secret.get(), secret.get()]);
    expect(first).toEqual({ username: 'orders', password: SENTINEL });
    expect(second).toBe(first);
    expect(fetched).toEqual(['AmazonMSK_orders']);
  });

  it('fetches it again after forget(), as after the broker refused it', async () => {
    let version = 0;
    const secret = new ScramSecret('AmazonMSK_orders', async () => JSON.stringify({ username: 'orders', password: `p${++version}` }));
    expect((await secret.get()).password).toBe('p1');
    secret.forget();
    expect((await secret.get()).password).toBe('p2');
  });

  it.each([
    ['not JSON', `${SENTINEL} is not json`],
    ['without a password', JSON.stringify({ username: 'orders', pass: SENTINEL })],
  ])('rejects a secret %s without echoing any of it', async (_, secretString) => {
    const secret = new ScramSecret('AmazonMSK_orders', async () => secretString);
    const error = await secret.get().catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).not.toContain(SENTINEL);
    expect(String((error as Error).message)).toContain('AmazonMSK_orders');
  });

  it('gives kafkajs SCRAM-SHA-512 over TLS', async () => {
    const config = parseConfig({ KAFKA_AUTH: 'scram', KAFKA_SCRAM_SECRET_ARN: 'AmazonMSK_orders' }).kafka;
    const scramSecret = new ScramSecret('AmazonMSK_orders', async () => JSON.stringify({ username: 'orders', password: SENTINEL }));
    expect(await kafkaSecurity(config, { scramSecret })).toEqual({
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'orders', password: SENTINEL },
    });
  });
});
