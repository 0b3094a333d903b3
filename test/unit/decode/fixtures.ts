/** Reads a fixture under test/fixtures as one Kafka message (the file's final newline dropped). */
import { readFileSync } from 'node:fs';

export function fixture(relativePath: string): string {
  return readFileSync(new URL(`../../fixtures/${relativePath}`, import.meta.url), 'utf8').replace(/\r?\n$/, '');
}

/** The lines of an NDJSON fixture, one message each. */
export function fixtureLines(relativePath: string): string[] {
  return fixture(relativePath)
    .split('\n')
    .filter((l) => l.trim() !== '');
}
