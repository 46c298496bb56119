import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type DocsSite, docsResponse, loadDocsSite } from '../lib/http/docs-page';

/** GET /docs and GET /docs/{asset}: the API reference page and the files it loads. */
export const makeDocsHandler =
  (site: DocsSite) =>
  async (event: Pick<APIGatewayProxyEvent, 'path' | 'pathParameters'>): Promise<APIGatewayProxyResult> =>
    docsResponse(site, event.path, event.pathParameters?.asset);

// Once per execution environment: warm invocations answer from the strings kept at module scope.
export const handler = makeDocsHandler(loadDocsSite());
