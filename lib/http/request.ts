import type { APIGatewayProxyEvent } from 'aws-lambda';
import { InvalidJsonError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors';

export function header(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/** application/json, or any application/*+json, in UTF-8 (RFC 8259 allows no other charset). */
function assertJsonContentType(contentType: string | undefined): void {
  const [mediaType = '', ...parameters] = (contentType ?? '').split(';').map((part) => part.trim().toLowerCase());
  const isJson = mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
  const charset = parameters.find((parameter) => parameter.startsWith('charset='))?.slice('charset='.length);
  if (!isJson) {
    throw new UnsupportedMediaTypeError(
      contentType
        ? `Content-Type ${contentType} is not supported; send application/json`
        : 'Content-Type is missing; send application/json',
    );
  }
  if (charset !== undefined && charset.replaceAll('"', '') !== 'utf-8') {
    throw new UnsupportedMediaTypeError(`charset ${charset} is not supported; send UTF-8`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The JSON body of a request, checked in the order a client can act on: the media type, then
 * the size (before parsing anything), then the syntax.
 */
export function readJsonBody(event: Pick<APIGatewayProxyEvent, 'headers' | 'body' | 'isBase64Encoded'>, maxBytes: number): unknown {
  assertJsonContentType(header(event, 'content-type'));
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : undefined;
  const size = bytes ? bytes.byteLength : Buffer.byteLength(raw, 'utf8');
  if (size > maxBytes) throw new PayloadTooLargeError(maxBytes, size);
  let text = raw;
  if (bytes) {
    try {
      text = utf8.decode(bytes);
    } catch (error) {
      throw new InvalidJsonError('The body is not valid UTF-8', { cause: error });
    }
  }
  if (text.trim() === '') throw new InvalidJsonError('The body is empty; send the order as a JSON object');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidJsonError(`The body is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}
