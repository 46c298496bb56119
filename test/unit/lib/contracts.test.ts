import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { handler as openapiHandler } from '../../../handlers/openapi';
import { contractFiles } from '../../../lib/contracts/files';
import { OrderSchema } from '../../../lib/orders/schema';

type Json = Record<string, unknown>;

/** Every (schema, example) pair in a document: `example`, `examples: [...]`, and media-type examples. */
function examplesIn(node: unknown, found: { schema: Json; example: unknown; where: string }[] = [], where = ''): typeof found {
  if (Array.isArray(node)) {
    for (const [index, child] of node.entries()) examplesIn(child, found, `${where}/${index}`);
    return found;
  }
  if (node === null || typeof node !== 'object') return found;
  const object = node as Json;
  if ('example' in object && typeof object.type === 'string') found.push({ schema: object, example: object.example, where });
  if (Array.isArray(object.examples) && ('type' in object || 'properties' in object)) {
    for (const example of object.examples) found.push({ schema: object, example, where });
  }
  for (const [key, child] of Object.entries(object)) examplesIn(child, found, `${where}/${key}`);
  return found;
}

describe('the published contracts', () => {
  it.each(Object.entries(contractFiles()))(
    '%s is committed exactly as the schemas generate it (run `npm run contracts`)',
    (path, generated) => {
      const committed = JSON.parse(readFileSync(path, 'utf8'));
      expect(committed).toEqual(JSON.parse(JSON.stringify(generated)));
    },
  );

  it('every example in openapi.json validates against its own schema', () => {
    const document = contractFiles()['contracts/openapi.json'] as Json;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ $id: 'doc', components: (document as { components: Json }).components });
    const examples = examplesIn(document);
    expect(examples.length).toBeGreaterThanOrEqual(8);
    for (const { schema, example, where } of examples) {
      const resolvable = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'));
      const validate = ajv.compile(resolvable);
      expect(validate(example), `${where}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('the order examples also pass the zod schema, which is stricter than JSON Schema', () => {
    const document = contractFiles()['contracts/order.schema.json'] as { examples: unknown[] };
    for (const example of document.examples) expect(OrderSchema.safeParse(example).success).toBe(true);
  });

  it('GET /openapi.json serves the committed document', async () => {
    const response = await openapiHandler();
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual(JSON.parse(readFileSync('contracts/openapi.json', 'utf8')));
  });
});
