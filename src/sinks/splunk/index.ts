/** The Splunk HTTP Event Collector sink: the AlertSink, the event mapping and the token's sources. */
export { SplunkHecSink, type SplunkHecSinkOptions, type HecEvent, hecEventOf } from './sink.js';
export { splunkTokenOf } from './token.js';
