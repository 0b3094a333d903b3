/**
 * Envoy/Istio TEXT access logs (formats.md §3.1, §3.2): a format string of Envoy command
 * operators (`%START_TIME%`, `%REQ(:AUTHORITY)%`, `%UPSTREAM_CLUSTER%`, …) between literal text,
 * compiled once, then matched against each line.
 *
 * `compileTextFormat` turns a format string into literals and operators. Bounded: at most
 * `MAX_FORMAT_CHARS` characters and `MAX_OPERATORS` operators; an operator is `%NAME%`,
 * `%NAME(ARG)%` or `%NAME(ARG):MAXLEN%` (NAME `[A-Z0-9_]`, ARG at most 256 characters); `%%`
 * is no operator. Two operators with no literal between them cannot be split and are refused.
 *
 * `matchTextLine` walks the line once, left to right: each literal must appear where expected
 * and an operator's value runs to the first occurrence of the literal after it (`indexOf`, no
 * regex, no backtracking: linear in the line's length). A quoted value may itself hold a `"`
 * (Envoy does not escape User-Agent) as long as it does not hold the whole following literal.
 * Lines longer than `MAX_LINE_CHARS` are refused. The result maps each operator to the key of
 * Istio's JSON format (§3.3: `%REQ(:AUTHORITY)%` -> `authority`, `%UPSTREAM_CLUSTER_RAW%` ->
 * `upstream_cluster`, …), values as text with Envoy's `-` for unset, so the JSON access-log
 * decoder reads them as it reads Istio's legacy all-string JSON. `%ENVIRONMENT(POD_NAME)%` and
 * `%ENVIRONMENT(POD_NAMESPACE)%` (the sidecar's own environment) name the emitting pod.
 *
 * The two defaults are built in: Istio's `EnvoyTextLogFormat` and Envoy's default format.
 * Pure: no I/O.
 */
import { type Result, fail, ok } from '../result.js';
import { quote } from './json-text.js';

/** Envoy's default access-log format (usage.rst). */
export const ENVOY_DEFAULT_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
  '%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" ' +
  '"%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n';

/** Istio's text format (pilot/pkg/model/telemetry_logging.go EnvoyTextLogFormat, >= 1.24). */
export const ISTIO_DEFAULT_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
  '%RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% ' +
  '%BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" ' +
  '"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% %UPSTREAM_LOCAL_ADDRESS% ' +
  '%DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%\n';

export const MAX_FORMAT_CHARS = 4096;
export const MAX_OPERATORS = 64;
export const MAX_LINE_CHARS = 65_536;
const MAX_ARG_CHARS = 256;

/** Operator -> the Istio JSON key its value goes to (formats.md §3.3). */
const KEYS: Readonly<Record<string, string>> = {
  START_TIME: 'start_time',
  'REQ(:METHOD)': 'method',
  'REQ(X-ENVOY-ORIGINAL-PATH?:PATH)': 'path',
  'REQ(:PATH)': 'path',
  PROTOCOL: 'protocol',
  RESPONSE_CODE: 'response_code',
  RESPONSE_FLAGS: 'response_flags',
  RESPONSE_CODE_DETAILS: 'response_code_details',
  CONNECTION_TERMINATION_DETAILS: 'connection_termination_details',
  UPSTREAM_TRANSPORT_FAILURE_REASON: 'upstream_transport_failure_reason',
  BYTES_RECEIVED: 'bytes_received',
  BYTES_SENT: 'bytes_sent',
  DURATION: 'duration',
  'RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)': 'upstream_service_time',
  'REQ(X-FORWARDED-FOR)': 'x_forwarded_for',
  'REQ(USER-AGENT)': 'user_agent',
  'REQ(X-REQUEST-ID)': 'request_id',
  'REQ(:AUTHORITY)': 'authority',
  UPSTREAM_HOST: 'upstream_host',
  UPSTREAM_CLUSTER: 'upstream_cluster',
  UPSTREAM_CLUSTER_RAW: 'upstream_cluster',
  UPSTREAM_LOCAL_ADDRESS: 'upstream_local_address',
  DOWNSTREAM_LOCAL_ADDRESS: 'downstream_local_address',
  DOWNSTREAM_REMOTE_ADDRESS: 'downstream_remote_address',
  REQUESTED_SERVER_NAME: 'requested_server_name',
  ROUTE_NAME: 'route_name',
  DOWNSTREAM_PEER_URI_SAN: 'downstream_peer_uri_san',
  'ENVIRONMENT(POD_NAME)': 'pod_name',
  'ENVIRONMENT(POD_NAMESPACE)': 'pod_namespace',
};

interface Operator {
  /** As written, for reasons: `%REQ(:AUTHORITY)%`. */
  text: string;
  /** Where the value goes; operators meshwatch does not read keep their own lower-case name. */
  key: string;
}

/** A compiled format: `literals[i]` precedes `operators[i]`; the last literal ends the line. */
export interface TextFormat {
  source: string;
  literals: readonly string[];
  operators: readonly Operator[];
}

const OPERATOR = /^%([A-Z0-9_]+)(\(([^()%]{0,256})\))?(:\d{1,6})?%/;

/** The format's own `\n` (or `\r\n`) ends a line; it never reaches Kafka inside the value. */
const trimEol = (s: string): string => s.replace(/\r?\n$/, '');

export function compileTextFormat(format: string): Result<TextFormat> {
  if (format.length > MAX_FORMAT_CHARS) return fail('MW_CONFIG_INVALID', `longer than ${MAX_FORMAT_CHARS} characters`);
  const src = trimEol(format);
  const literals: string[] = [];
  const operators: Operator[] = [];
  let literal = '';
  let i = 0;
  while (i < src.length) {
    const c = src.charAt(i);
    if (c !== '%') {
      literal += c;
      i++;
      continue;
    }
    if (src.charAt(i + 1) === '%') {
      literal += '%';
      i += 2;
      continue;
    }
    const m = OPERATOR.exec(src.slice(i, i + MAX_ARG_CHARS + 80));
    if (!m) return fail('MW_CONFIG_INVALID', `not an Envoy command operator at character ${i}: ${quote(src.slice(i, i + 40))}`);
    if (operators.length > 0 && literal === '') {
      return fail('MW_CONFIG_INVALID', `${m[0]} follows another operator with nothing between them; the two cannot be told apart`);
    }
    if (operators.length >= MAX_OPERATORS) return fail('MW_CONFIG_INVALID', `more than ${MAX_OPERATORS} operators`);
    const name = m[2] === undefined ? (m[1] ?? '') : `${m[1] ?? ''}(${m[3] ?? ''})`;
    literals.push(literal);
    operators.push({ text: m[0], key: KEYS[name] ?? name.toLowerCase() });
    literal = '';
    i += m[0].length;
  }
  literals.push(literal);
  if (operators.length === 0) return fail('MW_CONFIG_INVALID', 'no Envoy command operator (such as %START_TIME%)');
  if (!operators.some((o) => o.key === 'start_time')) return fail('MW_CONFIG_INVALID', 'no %START_TIME% (the event time)');
  return ok({ source: format, literals, operators });
}

const compiledDefault = (f: string): TextFormat => {
  const r = compileTextFormat(f);
  if (!r.ok) throw new Error(`built-in format: ${r.error.reason}`);
  return r.value;
};

/** Tried in this order when a topic configures no format of its own. */
export const DEFAULT_TEXT_FORMATS: readonly TextFormat[] = [compiledDefault(ISTIO_DEFAULT_FORMAT), compiledDefault(ENVOY_DEFAULT_FORMAT)];

/** A matched line: Istio JSON keys -> text values (null-prototype map). */
export type TextFields = Record<string, string>;

/** Why a line did not match: how far it got (`operator` index that could not be read, -1 = none). */
export interface TextMismatch {
  operator: number;
  reason: string;
}

export function matchTextLine(line: string, format: TextFormat): { ok: true; fields: TextFields } | { ok: false; mismatch: TextMismatch } {
  const text = trimEol(line);
  const miss = (operator: number, reason: string): { ok: false; mismatch: TextMismatch } => ({ ok: false, mismatch: { operator, reason } });
  if (text.length > MAX_LINE_CHARS) return miss(-1, `longer than ${MAX_LINE_CHARS} characters`);
  const fields = Object.create(null) as TextFields;
  const { literals, operators } = format;
  const head = literals[0] ?? '';
  if (!text.startsWith(head)) return miss(-1, `does not start with ${quote(head)}`);
  let pos = head.length;
  for (let k = 0; k < operators.length; k++) {
    const op = operators[k] as Operator;
    const next = literals[k + 1] ?? '';
    const last = k === operators.length - 1;
    let end: number;
    if (last) {
      if (!text.endsWith(next) || text.length - next.length < pos) return miss(k, `no ${quote(next)} after ${op.text}`);
      end = text.length - next.length;
    } else {
      end = text.indexOf(next, pos);
      if (end < 0) return miss(k, `no ${quote(next)} after ${op.text} at character ${pos}`);
    }
    fields[op.key] = text.slice(pos, end);
    pos = end + next.length;
  }
  return { ok: true, fields };
}
