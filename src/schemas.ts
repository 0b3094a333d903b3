/**
 * The published JSON Schemas, rendered from their zod sources. schemas/*.json must equal
 * this output (scripts/gen-schemas.ts writes them; a test fails on drift).
 */
import { z } from 'zod';
import { AlertSchema } from './core/alert/schema.js';

const BASE = 'https://meshwatch.dev/schemas/';

export function renderSchemas(): Record<string, string> {
  const alert = {
    $id: `${BASE}alert.schema.json`,
    title: 'meshwatch alert (meshwatch.alert/v1)',
    description:
      'One document per state change (firing, resolved) of an alert episode, published on meshwatch.alerts keyed by namespace/name.',
    ...z.toJSONSchema(AlertSchema, { target: 'draft-2020-12' }),
  };
  return { 'alert.schema.json': JSON.stringify(alert, null, 2) + '\n' };
}
