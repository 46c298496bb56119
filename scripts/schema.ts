// npm run schema -- check | register | print: this code's order schema against the schema registry
// of SCHEMA_REGISTRY_URL, with the variables the functions read (scripts/schema/command.ts). The
// deploy runs `check`, then `register`, before `sls deploy` (docs/deploy.md).
import { schemaCommand } from './schema/command';

schemaCommand(process.argv[2]).then(({ code, output }) => {
  for (const line of output) (code === 0 || line !== output.at(-1) ? console.log : console.error)(line);
  process.exit(code);
});
