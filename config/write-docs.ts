// `npm run docs:config`: rewrites the generated variable tables in docs/configuration.md
// and README.md from the schema (config/variables.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DOCUMENTS, withGeneratedTables } from './docs.js';

const root = resolve(import.meta.dirname, '..');
for (const document of DOCUMENTS) {
  const path = resolve(root, document);
  const before = readFileSync(path, 'utf8');
  const after = withGeneratedTables(before);
  if (after !== before) writeFileSync(path, after);
  process.stdout.write(`${document}: ${after === before ? 'up to date' : 'rewritten'}\n`);
}
