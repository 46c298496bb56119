import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/dynamodb/local-dynamodb';
import { exampleOrder } from '../support/events';
import { type OfflineServer, startOffline } from '../support/offline';

/**
 * GET /docs through serverless-offline, and the page in a real browser: swagger-ui renders the
 * contract from files the docs function serves, and "Try it out" reaches the local publisher.
 */
/** Debian's chromium package; CHROMIUM_PATH points at another build. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = path.resolve(__dirname, '../../docs/api-reference.png');

let offline: OfflineServer;
let dynamo: LocalDynamoDb;
let browser: Browser | undefined;

beforeAll(async () => {
  // The idempotency store, as npm run dev has it, for the POST /orders that "Try it out" sends.
  dynamo = await startLocalDynamoDb();
  // Its own port and bundle folder, beside the other e2e file's server.
  offline = await startOffline({ port: 3400, esbuildWorkFolder: '.esbuild-docs-3400', env: dynamo.env });
  if (existsSync(CHROMIUM)) {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }
});

afterAll(async () => {
  await browser?.close();
  await offline?.stop();
  await dynamo?.close();
});

const get = (route: string) => fetch(`${offline.baseUrl}${route}`, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });

describe('GET /dev/docs over HTTP', () => {
  it('serves the page, which loads its files relative to itself and nothing from another origin', async () => {
    // Act
    const response = await get('/docs');
    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await response.text();
    const links = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(links).toEqual(['data:,', 'docs/swagger-ui.css?v=5.35.0', 'docs/swagger-ui-bundle.js?v=5.35.0', 'docs/swagger-initializer.js']);
  });

  it.each([
    ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8', 'public, max-age=86400', 'SwaggerUIBundle'],
    ['swagger-ui.css', 'text/css; charset=utf-8', 'public, max-age=86400', '.swagger-ui'],
    ['swagger-initializer.js', 'text/javascript; charset=utf-8', 'public, max-age=300', "new URL('openapi.json', api)"],
  ])('serves docs/%s as %s, cached with %s', async (file, contentType, cacheControl, sample) => {
    const response = await get(`/docs/${file}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(contentType);
    expect(response.headers.get('cache-control')).toBe(cacheControl);
    expect(await response.text()).toContain(sample);
  });

  it('answers a file it does not have with 404 and a problem document', async () => {
    const response = await get('/docs/swagger-ui.css.map');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ type: 'urn:order-publisher:problem:not-found', status: 404 });
  });
});

describe('GET /dev/docs in Chromium', () => {
  it('lists the routes, and "Try it out" on POST /orders gets 201 from this stage', async (ctx) => {
    if (!browser) {
      const reason = `GET /docs browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`;
      console.warn(reason);
      // Marks the test skipped and ends it here (it throws); the return tells the compiler so.
      return ctx.skip(reason);
    }
    // Prepare
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    ctx.onTestFinished(() => context.close());
    const page = await context.newPage();
    const origin = new URL(offline.baseUrl).origin;
    const foreign: string[] = [];
    const errors: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(`${origin}/`) && !request.url().startsWith('data:')) foreign.push(request.url());
    });
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));

    // Act: the page as a reader opens it
    await page.goto(`${offline.baseUrl}/docs`);
    const operations = page.locator('.opblock');
    await operations.first().waitFor();
    // Assess
    const listed: string[] = [];
    for (const operation of await operations.all()) {
      const method = await operation.locator('.opblock-summary-method').textContent();
      listed.push(`${method} ${await operation.locator('.opblock-summary-path').getAttribute('data-path')}`);
    }
    expect(listed).toEqual(['POST /orders', 'POST /orders/batch', 'GET /health', 'GET /openapi.json']);
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    // Act: "Try it out" with the example order, and "Execute"
    const publishOrder = page.locator('#operations-default-publishOrder');
    await publishOrder.locator('.opblock-summary-control').click();
    await publishOrder.getByRole('button', { name: 'Try it out' }).click();
    const body = publishOrder.locator('textarea.body-param__text');
    expect(JSON.parse(await body.inputValue())).toEqual(exampleOrder());
    await publishOrder.getByRole('button', { name: 'Execute' }).click();
    // Assess: the request went to this stage, and the publisher answered 201 with a receipt
    const live = publishOrder.locator('.live-responses-table');
    await live.waitFor();
    expect(await publishOrder.locator('.request-url pre').textContent()).toBe(`${offline.baseUrl}/orders`);
    const status = live.locator('tbody .response-col_status').first();
    await expect.poll(() => status.textContent(), { timeout: 20_000 }).toBe('201');
    expect(await live.locator('tbody .response-col_description').first().textContent()).toContain('"topic": "order-events"');
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });
});
