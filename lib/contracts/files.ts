import { ORDER_AVRO_SCHEMA } from '../orders/avro-schema';
import { orderJsonSchema } from '../orders/schema';
import { buildAsyncApiDocument } from './asyncapi';
import { buildOpenApiDocument } from './openapi';

/** Every committed contract file, by its path from the repository root. */
export function contractFiles(): Record<string, unknown> {
  return {
    'contracts/openapi.json': buildOpenApiDocument(),
    'contracts/asyncapi.json': buildAsyncApiDocument(),
    'contracts/order.schema.json': orderJsonSchema(),
    // Registry mode with SCHEMA_FORMAT=avro: the schema registered under the subject.
    'contracts/order.avsc': ORDER_AVRO_SCHEMA,
  };
}
