/**
 * What every SIEM rendering of an alert shares: the product's identity and one severity
 * mapping (PagerDuty's enum, which meshwatch uses, to OCSF severity_id and CEF severity).
 * Pure.
 */
import { type Alert } from '../alert/schema.js';

export const PRODUCT = { vendor: 'meshwatch', name: 'meshwatch' } as const;

/** OCSF severity_id (dictionary.json): 1 Informational, 3 Medium, 4 High, 5 Critical. */
export const OCSF_SEVERITY: Record<Alert['severity'], { id: 1 | 3 | 4 | 5; name: string }> = {
  info: { id: 1, name: 'Informational' },
  warning: { id: 3, name: 'Medium' },
  error: { id: 4, name: 'High' },
  critical: { id: 5, name: 'Critical' },
};

/** CEF severity, an integer 0–10. */
export const CEF_SEVERITY: Record<Alert['severity'], number> = { info: 1, warning: 4, error: 7, critical: 10 };

export interface SiemOptions {
  /** meshwatch's version, reported as the product version. */
  productVersion: string;
}
