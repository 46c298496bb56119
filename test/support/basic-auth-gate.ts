import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BasicAuthGate {
  /** The registry's URL through the gate (same path). */
  url: string;
  /** Requests refused for their credentials. */
  refused: number;
  close(): Promise<void>;
}

/**
 * A registry that checks HTTP basic auth, as Confluent Cloud does with an API key and secret: a
 * proxy on 127.0.0.1 in front of the tests' Apicurio, which itself checks credentials only
 * against an OIDC server (Keycloak). Wrong or missing credentials get Confluent's 401 answer;
 * right ones are passed on.
 */
export async function startBasicAuthGate(registryUrl: string, username: string, password: string): Promise<BasicAuthGate> {
  const target = new URL(registryUrl);
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const gate = { refused: 0 };
  const server = createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      gate.refused++;
      req.resume();
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="registry"' });
      res.end(JSON.stringify({ error_code: 401, message: 'Unauthorized' }));
      return;
    }
    const { authorization: _checked, host: _host, ...headers } = req.headers;
    const forwarded = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forwarded.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(gate, {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
