/** SIEM renderings of an alert: OCSF Detection Finding, Elastic Common Schema, ArcSight CEF. */
export { CEF_SEVERITY, OCSF_SEVERITY, type SiemOptions } from './common.js';
export { cefOf, escapeExtension, escapeHeader } from './cef.js';
export { ECS_VERSION, type EcsAlert, ecsAlertOf } from './ecs.js';
export { DETECTION_FINDING, OCSF_VERSION, type OcsfActivity, type OcsfDetectionFinding, activityOf, ocsfFindingOf } from './ocsf.js';
export {
  type EcsIncident,
  type OcsfIncidentFinding,
  cefOfIncident,
  contributorLine,
  ecsAlertOfIncident,
  incidentActivityOf,
  ocsfFindingOfIncident,
  subjectOf,
} from './incident.js';
export { SIEM_FORMATS, type SiemFormat, type SiemRenderer, rendererOf } from './render.js';
