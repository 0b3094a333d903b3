/** The PagerDuty Events API v2 sink: the AlertSink, the event mapping and the routing key's sources. */
export { PagerDutySink, type PagerDutySinkOptions } from './sink.js';
export {
  DEFAULT_PAGERDUTY_URL,
  MAX_EVENT_BYTES,
  type PagerDutyEvent,
  alertOfEvent,
  eventOf,
  eventOfIncident,
  observedVsExpected,
  truncateChars,
} from './events.js';
export { routingKeyOf } from './routing-key.js';
export { type Router, matches, routerOf } from './routes.js';
