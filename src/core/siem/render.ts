/** The SIEM formats by name, and each one's text for an alert and for an incident. Pure. */
import { type Alert } from '../alert/schema.js';
import { type Incident } from '../incident/schema.js';
import { cefOf } from './cef.js';
import { ecsAlertOf } from './ecs.js';
import { cefOfIncident, ecsAlertOfIncident, ocsfFindingOfIncident } from './incident.js';
import { ocsfFindingOf } from './ocsf.js';

export const SIEM_FORMATS = ['ocsf', 'ecs', 'cef'] as const;
export type SiemFormat = (typeof SIEM_FORMATS)[number];

export interface SiemRenderer {
  alert: (a: Alert) => string;
  incident: (i: Incident) => string;
}

/** The renderer of a format: one record's text per alert or incident. */
export function rendererOf(format: SiemFormat, productVersion: string): SiemRenderer {
  const o = { productVersion };
  switch (format) {
    case 'ocsf':
      return { alert: (a) => JSON.stringify(ocsfFindingOf(a, o)), incident: (i) => JSON.stringify(ocsfFindingOfIncident(i, o)) };
    case 'ecs':
      return { alert: (a) => JSON.stringify(ecsAlertOf(a, o)), incident: (i) => JSON.stringify(ecsAlertOfIncident(i, o)) };
    case 'cef':
      return { alert: (a) => cefOf(a, o), incident: (i) => cefOfIncident(i, o) };
  }
}
