/**
 * Generates schemas/*.json from the zod sources (the source of truth), and the README's table
 * of metrics from the telemetry catalogue (src/telemetry/metrics-doc.ts).
 *   tsx scripts/gen-schemas.ts          write them
 *   tsx scripts/gen-schemas.ts --check  exit 1 if a committed schema differs (drift)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderSchemas } from '../src/schemas.js';
import { withMetricsTable } from '../src/telemetry/metrics-doc.js';

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
const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
const readme = readFileSync(readmePath, 'utf8');
const generated = withMetricsTable(readme);
if (generated === undefined) {
  process.stderr.write('README.md has no metrics markers (src/telemetry/metrics-doc.ts)\n');
  drift++;
} else if (generated !== readme) {
  if (check) {
    process.stderr.write('README.md: the metrics table is out of date: run npm run schemas\n');
    drift++;
  } else {
    writeFileSync(readmePath, generated);
    process.stdout.write('wrote the metrics table in README.md\n');
  }
}
process.exitCode = drift ? 1 : 0;
