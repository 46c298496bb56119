import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One call the fake received; secretId is '' when the body had none. */
export interface FakeSecretsManagerRequest {
  target: string;
  secretId: string;
}

export interface FakeSecretsManager {
  /** http://127.0.0.1:<port>: for AWS_ENDPOINT_URL_SECRETS_MANAGER or the client's `endpoint` option. */
  endpoint: string;
  /** Every call in arrival order, unknown ids and other operations included, so a test sees them all. */
  requests: FakeSecretsManagerRequest[];
  /** Adds a secret or gives it a new version, as a rotation would. */
  setSecret(id: string, value: string): void;
  close(): Promise<void>;
}

interface StoredSecret {
  arn: string;
  name: string;
  value: string;
  versionId: string;
  /** Epoch seconds: the JSON protocol's timestamp format, which the SDK turns into a Date. */
  createdDate: number;
}

const JSON_11 = 'application/x-amz-json-1.1';
const ACCOUNT = '000000000000';

// Real ARNs end in "-" and six random characters that are not part of the name.
const ARN = /^arn:aws[\w-]*:secretsmanager:([\w-]+):(\d{12}):secret:(.+?)(-[A-Za-z0-9]{6})?$/;

function newSecret(id: string, value: string): StoredSecret {
  const arnMatch = ARN.exec(id);
  const name = arnMatch?.[3] ?? id;
  const arn = arnMatch ? id : `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:${name}-${randomUUID().slice(0, 6)}`;
  return { arn, name, value, versionId: randomUUID(), createdDate: Math.floor(Date.now() / 1000) };
}

function answer(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': JSON_11,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * A Secrets Manager endpoint on 127.0.0.1 that answers GetSecretValue from `secrets` (keyed by ARN
 * or name; a secret is found by either, as on AWS). It ignores the request signature, so dummy
 * credentials do, and always serves the AWSCURRENT version. Other operations get a 400.
 */
export async function startFakeSecretsManager(secrets: Record<string, string>): Promise<FakeSecretsManager> {
  const stored = new Map<string, StoredSecret>();
  const requests: FakeSecretsManagerRequest[] = [];

  const find = (id: string): StoredSecret | undefined => stored.get(id) ?? [...stored.values()].find((s) => s.arn === id || s.name === id);

  const setSecret = (id: string, value: string): void => {
    const existing = find(id);
    if (existing) {
      // A new version, like PutSecretValue: a test can tell a re-fetch from a cached value.
      Object.assign(existing, { value, versionId: randomUUID(), createdDate: Math.floor(Date.now() / 1000) });
    } else {
      stored.set(id, newSecret(id, value));
    }
  };
  for (const [id, value] of Object.entries(secrets)) setSecret(id, value);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = String(req.headers['x-amz-target'] ?? '');
    let secretId = '';
    let parsed: unknown;
    try {
      parsed = JSON.parse((await readBody(req)) || '{}');
    } catch {
      requests.push({ target, secretId });
      answer(res, 400, { __type: 'SerializationException', message: 'The request body is not JSON.' });
      return;
    }
    if (parsed && typeof parsed === 'object' && typeof (parsed as { SecretId?: unknown }).SecretId === 'string') {
      secretId = (parsed as { SecretId: string }).SecretId;
    }
    requests.push({ target, secretId });

    if (req.method !== 'POST' || target !== 'secretsmanager.GetSecretValue') {
      answer(res, 400, {
        __type: 'UnknownOperationException',
        message: `fake-secrets-manager answers only POST secretsmanager.GetSecretValue (got ${req.method} "${target}")`,
      });
      return;
    }
    const secret = find(secretId);
    if (!secret) {
      answer(res, 400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
      return;
    }
    answer(res, 200, {
      ARN: secret.arn,
      Name: secret.name,
      SecretString: secret.value,
      VersionId: secret.versionId,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: secret.createdDate,
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) answer(res, 500, { __type: 'InternalServiceError', message: String(error) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    setSecret,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // The SDK keeps its connection alive; without this close() would wait for it to time out.
        server.closeIdleConnections();
      }),
  };
}
