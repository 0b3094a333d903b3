/**
 * Generates schemas/*.json from the zod sources (the source of truth).
 *   tsx scripts/gen-schemas.ts          write them
 *   tsx scripts/gen-schemas.ts --check  exit 1 if a committed schema differs (drift)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderSchemas } from '../src/schemas.js';

const dir = new URL('../schemas/', import.meta.url);
const check = process.argv.includes('--check');
let drift = 0;
for (const [file, text] of Object.entries(renderSchemas())) {
  const path = fileURLToPath(new URL(file, dir));
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = '';
  }
  if (current === text) continue;
  if (check) {
    process.stderr.write(`schemas/${file} is out of date: run npm run schemas\n`);
    drift++;
  } else {
    writeFileSync(path, text);
    process.stdout.write(`wrote schemas/${file}\n`);
  }
}
process.exitCode = drift ? 1 : 0;
