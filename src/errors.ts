/**
 * The one catalogue of meshwatch error codes. Codes are stable (they appear in the DLQ,
 * in counters and in logs); never match on messages.
 */
export const ErrorCodes = {
  MW_DECODE_INVALID_JSON: { retriable: false, summary: 'the message is not valid JSON' },
  MW_DECODE_TRUNCATED: { retriable: false, summary: 'the message ends before its JSON does' },
  MW_DECODE_TOO_LARGE: { retriable: false, summary: 'the message exceeds the configured size limit' },
  MW_DECODE_NOT_TEXT: { retriable: false, summary: 'the message is not UTF-8 text' },
  MW_DECODE_TOO_DEEP: { retriable: false, summary: 'the JSON nests deeper than the configured limit' },
  MW_DECODE_TOO_WIDE: { retriable: false, summary: 'a JSON object or array has more members than the configured limit' },
  MW_DECODE_UNKNOWN_FORMAT: { retriable: false, summary: 'no decoder recognises the record' },
  MW_DECODE_SCHEMA: { retriable: false, summary: 'a field is missing or has the wrong type' },
  MW_DECODE_BAD_VALUE: { retriable: false, summary: 'a value is out of range (NaN, infinite, negative counter)' },
  MW_DECODE_BAD_TIMESTAMP: { retriable: false, summary: 'the event time is missing or unparseable' },
  MW_DECODE_NO_IDENTITY: { retriable: false, summary: 'the record names no service' },
  MW_DECODE_BAD_IDENTITY: { retriable: false, summary: 'a service name is too long or holds control characters' },
  MW_DECODE_INTERNAL: { retriable: false, summary: 'a decoder failed on the record (a meshwatch bug; the record is kept)' },
  MW_EVENT_TIME_SKEW: { retriable: false, summary: 'the event time is too far from processing time or from its source' },
  MW_WINDOW_LATE: { retriable: false, summary: 'data arrived after its window closed' },
  MW_LIMIT_EXCEEDED: { retriable: false, summary: 'a cardinality bound was reached' },
  MW_CONFIG_INVALID: { retriable: false, summary: 'the configuration is invalid' },
  MW_USAGE: { retriable: false, summary: 'the command line is not understood (unknown flag, missing value)' },
  MW_STORE_UNAVAILABLE: { retriable: true, summary: 'the state store did not answer' },
  MW_STORE_CODEC: { retriable: false, summary: 'a stored state record cannot be read' },
  MW_KAFKA_UNAVAILABLE: { retriable: true, summary: 'the Kafka cluster did not answer' },
  MW_KAFKA_AUTH: { retriable: false, summary: 'the Kafka brokers refused the SASL credentials' },
  MW_REDIS_AUTH: { retriable: false, summary: 'Redis refused the user or password (ACL)' },
  MW_SINK_DELIVERY: { retriable: true, summary: 'a sink could not deliver an alert' },
  MW_SINK_REJECTED: { retriable: false, summary: "a sink's service refused an alert for good (PagerDuty 400); it is parked" },
  MW_KAFKA_MESSAGE_TOO_LARGE: { retriable: false, summary: "a single record exceeds its topic's max.message.bytes" },
  MW_KAFKA_PRODUCE_FAILED: { retriable: true, summary: 'the broker did not acknowledge a produce request' },
  MW_KAFKA_TOPIC_CONFIG: { retriable: false, summary: 'an internal topic exists with a setting meshwatch cannot work with' },
  MW_KAFKA_CONSUMER_CRASHED: { retriable: false, summary: 'a consumer stopped on an error it will not retry' },
  MW_PROFILE_INVALID: { retriable: false, summary: 'a resource profile file is not valid YAML/JSON or breaks the profile schema' },
  MW_PROFILE_TOO_LARGE: { retriable: false, summary: 'a resource profile file exceeds the size bound' },
  MW_PROFILE_UNREADABLE: { retriable: true, summary: 'the resource profile directory or one of its files cannot be read' },
  MW_HTTP_LISTEN: { retriable: false, summary: 'the HTTP server cannot listen on its configured address' },
  MW_HTTP_REQUEST: { retriable: false, summary: 'an HTTP request meshwatch does not serve (unknown route, method or parameter)' },
  MW_HTTP_UNAUTHORIZED: { retriable: false, summary: 'an HTTP API request without the configured bearer token' },
  MW_HTTP_INTERNAL: { retriable: false, summary: 'the HTTP server failed on a request (a meshwatch bug)' },
  MW_DECODE_TEXT_MISMATCH: { retriable: false, summary: 'a text access-log line does not match the configured log format' },
  MW_WINDOW_CLOSED_EARLY: { retriable: false, summary: 'a window closed before every source passed it (too many open windows)' },
  MW_SHUTDOWN_TIMEOUT: {
    retriable: false,
    summary: 'a graceful shutdown did not finish within shutdownTimeoutMs, or a second signal cut it short',
  },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class MeshwatchError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retriable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MeshwatchError';
    this.code = code;
    this.retriable = options?.retriable ?? ErrorCodes[code].retriable;
  }
}
