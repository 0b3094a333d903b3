/** schemas/*.json are generated from the zod sources: they must not drift. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AlertSchema } from '../../src/core/alert/schema.js';
import { renderSchemas } from '../../src/schemas.js';

describe('published JSON Schemas', () => {
  it.each(Object.entries(renderSchemas()))('schemas/%s matches its zod source (run npm run schemas)', (file, text) => {
    expect(readFileSync(new URL(`../../schemas/${file}`, import.meta.url), 'utf8')).toBe(text);
  });

  it('the alert schema names every field an alert document has', () => {
    const schema = JSON.parse(readFileSync(new URL('../../schemas/alert.schema.json', import.meta.url), 'utf8')) as {
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(AlertSchema.shape).sort());
    expect(schema.required).toContain('id');
    expect(schema.required).toContain('window');
  });
});
