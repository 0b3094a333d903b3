/**
 * The published JSON Schemas, rendered from their zod sources. schemas/*.json must equal
 * this output (scripts/gen-schemas.ts writes them; a test fails on drift).
 */
import { z } from 'zod';
import { AlertSchema } from './core/alert/schema.js';
import { IncidentSchema } from './core/incident/schema.js';
import { ResourceProfileSchema } from './core/profile/schema.js';

const BASE = 'https://meshwatch.dev/schemas/';

export function renderSchemas(): Record<string, string> {
  const alert = {
    $id: `${BASE}alert.schema.json`,
    title: 'meshwatch alert (meshwatch.alert/v1)',
    description:
      'One document per state change (firing, resolved) of an alert episode, published on meshwatch.alerts keyed by namespace/name.',
    ...z.toJSONSchema(AlertSchema, { target: 'draft-2020-12' }),
  };
  const profile = {
    $id: `${BASE}profile.schema.json`,
    title: 'meshwatch resource profile (meshwatch.io/v1 ResourceProfile)',
    description: 'A declared resource profile: one workload, its container resources, traffic budgets, allowed peers and mode.',
    ...z.toJSONSchema(ResourceProfileSchema, { target: 'draft-2020-12', io: 'input' }),
  };
  const incident = {
    $id: `${BASE}incident.schema.json`,
    title: 'meshwatch incident (meshwatch.incident/v1)',
    description:
      'One document per change (opened, updated, resolved) of an incident: the metrics of one service that break together, or a storm of many services at once. Published on meshwatch.incidents keyed by namespace/name (storms: the key "mesh").',
    ...z.toJSONSchema(IncidentSchema, { target: 'draft-2020-12' }),
  };
  return {
    'alert.schema.json': JSON.stringify(alert, null, 2) + '\n',
    'incident.schema.json': JSON.stringify(incident, null, 2) + '\n',
    'profile.schema.json': JSON.stringify(profile, null, 2) + '\n',
  };
}
