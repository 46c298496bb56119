import { readFileSync } from 'node:fs';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { version as swaggerUiVersion } from 'swagger-ui-dist/package.json';
import type { Problem } from '../contracts/schemas';

/**
 * GET /docs: the API reference, swagger-ui rendering this stage's /openapi.json. Every file the
 * page loads is served by the docs function itself, never by a CDN: many VPCs, and our CI, cannot
 * reach one. Everything is relative to the page, so the same HTML works under /dev/docs
 * (serverless-offline), /prod/docs, or a custom domain's base path.
 */

/** One file the docs function serves. */
export interface DocsFile {
  contentType: string;
  cacheControl: string;
  body(): string;
}

export interface DocsSite {
  /** GET /docs */
  page: DocsFile;
  /** GET /docs/{asset}, by name. */
  assets: ReadonlyMap<string, DocsFile>;
}

/**
 * The files of swagger-ui-dist the page needs. The docs function's package carries them
 * (`package.patterns` in serverless.yml): serverless-esbuild has no esbuild options per function,
 * so no loader could import a .js file as text for this function only. The standalone preset (the
 * top bar with a URL box) is left out.
 */
export const SWAGGER_UI_FILES = ['swagger-ui-bundle.js', 'swagger-ui.css'] as const;

/** Our page and script change with each deploy; swagger-ui's files only with its version, which their URLs carry. */
const SHORT_CACHE = 'public, max-age=300';
const VENDOR_CACHE = 'public, max-age=86400';

/**
 * No inline script, nothing from another origin: the page's own files, and requests to its own
 * API. swagger-ui sets style attributes, hence 'unsafe-inline' for styles only; its icons are
 * data: URIs.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The page. Relative URLs: served at <base>/docs, it loads <base>/docs/<file>. A request for
 * <base>/docs/ would resolve them one level too deep; docsResponse redirects it.
 */
const page = (version: string) => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Order event publisher: API reference</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="docs/swagger-ui.css?v=${version}">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/swagger-ui-bundle.js?v=${version}"></script>
  <script src="docs/swagger-initializer.js"></script>
</body>
</html>
`;

/**
 * Runs in the browser. The API's base is found from this script's own URL (<base>/docs/…), which
 * holds whatever the page's URL looks like. The contract is fetched from there, and its `servers`
 * replaced by that base: the committed document names npm run dev's http://localhost:3000/dev,
 * and "Try it out" must call the stage that served the page.
 */
const INITIALIZER = `'use strict';
(() => {
  const api = new URL('..', document.currentScript.src);
  const root = document.getElementById('swagger-ui');
  fetch(new URL('openapi.json', api), { headers: { accept: 'application/json' } })
    .then((response) => {
      if (!response.ok) throw new Error(\`GET \${response.url} answered \${response.status}\`);
      return response.json();
    })
    .then((spec) => {
      spec.servers = [{ url: api.href.replace(/\\/$/, ''), description: 'This API (the stage that served this page)' }];
      window.ui = SwaggerUIBundle({
        spec,
        domNode: root,
        deepLinking: true,
        presets: [SwaggerUIBundle.presets.apis],
        layout: 'BaseLayout',
        // Its default is validator.swagger.io: no request leaves for another origin.
        validatorUrl: null,
        displayRequestDuration: true,
      });
    })
    .catch((error) => {
      root.textContent = \`The API contract could not be loaded: \${error.message}\`;
    });
})();
`;

/** Reads a file of swagger-ui-dist from node_modules: the repository's locally, the package's in Lambda. */
const readSwaggerUiFile = (file: string): string => readFileSync(require.resolve(`swagger-ui-dist/${file}`), 'utf8');

/** Computes a value on first use, then keeps it. */
const once = (load: () => string): (() => string) => {
  let value: string | undefined;
  return () => {
    value ??= load();
    return value;
  };
};

/**
 * The page and its files, kept at module scope. swagger-ui's files are read on first request, not
 * at start-up: decoding the 1.7 MB bundle takes tens of milliseconds, which a cold start for the
 * page, or for the stylesheet (the browser asks for both files at once, so possibly from two new
 * environments), need not pay.
 */
export function loadDocsSite(read: (file: string) => string = readSwaggerUiFile, version = swaggerUiVersion): DocsSite {
  const vendor = (contentType: string, file: string): [string, DocsFile] => [
    file,
    { contentType, cacheControl: VENDOR_CACHE, body: once(() => read(file)) },
  ];
  const html = page(version);
  return {
    page: { contentType: 'text/html; charset=utf-8', cacheControl: SHORT_CACHE, body: () => html },
    assets: new Map([
      vendor('text/javascript; charset=utf-8', 'swagger-ui-bundle.js'),
      vendor('text/css; charset=utf-8', 'swagger-ui.css'),
      ['swagger-initializer.js', { contentType: 'text/javascript; charset=utf-8', cacheControl: SHORT_CACHE, body: () => INITIALIZER }],
    ]),
  };
}

const notFound: Problem = {
  type: 'urn:order-publisher:problem:not-found',
  title: 'Not found',
  status: 404,
  detail: 'The API reference has no such file.',
  retriable: false,
};

/** The answer to GET /docs (no asset), GET /docs/ or GET /docs/{asset}. */
export function docsResponse(site: DocsSite, path: string | undefined, asset: string | undefined): APIGatewayProxyResult {
  if (asset === undefined && path?.endsWith('/')) {
    // Relative to …/docs/, the page's links would point one level too deep.
    return { statusCode: 301, headers: { location: '../docs', 'cache-control': SHORT_CACHE }, body: '' };
  }
  const file = asset === undefined ? site.page : site.assets.get(asset);
  if (file === undefined) {
    return { statusCode: 404, headers: { 'content-type': 'application/problem+json' }, body: JSON.stringify(notFound) };
  }
  return {
    statusCode: 200,
    headers: {
      'content-type': file.contentType,
      'cache-control': file.cacheControl,
      'x-content-type-options': 'nosniff',
      ...(file === site.page ? { 'content-security-policy': CONTENT_SECURITY_POLICY } : {}),
    },
    body: file.body(),
  };
}
