/** The Alertmanager API v2 sink: the AlertSink with the resend contract, the alert mapping and the active set. */
export { AlertmanagerSink, type AlertmanagerSinkOptions, alertsUrl } from './sink.js';
export { type PostableAlert, alertnameOf, labelKeyOf, labelsOf, postableOf } from './alerts.js';
export { type ActiveEntry, type ActiveSet, MemoryActiveSet } from './active.js';
export { incidentAnnotationsOf, incidentLabelsOf, postableOfIncident } from './incidents.js';
