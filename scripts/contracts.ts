// npm run contracts: writes the published contracts from the zod schemas. A test fails when the
// committed files differ from what this generates, so run it after changing a schema.
import { writeFileSync } from 'node:fs';
import { contractFiles } from '../lib/contracts/files';

for (const [path, document] of Object.entries(contractFiles())) {
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`wrote ${path}`);
}
