import type { APIGatewayProxyResult } from 'aws-lambda';
import openapi from '../contracts/openapi.json';

/** The committed document (a test keeps it equal to what the schemas generate), serialised once. */
const body = JSON.stringify(openapi);

/** GET /openapi.json: the HTTP contract. */
export const handler = async (): Promise<APIGatewayProxyResult> => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' },
  body,
});
