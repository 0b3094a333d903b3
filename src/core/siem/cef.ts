/**
 * Alert → ArcSight CEF line (integrations.md §3.3). Pure.
 *
 *   CEF:0|meshwatch|meshwatch|<version>|<kind>/<metric>|<name>|<severity 0-10>|<extension>
 *
 * Escaping, as ArcSight (and Kaspersky's, Tenzir's and Vector's readers) define it:
 * - header fields: `\` → `\\`, `|` → `\|`; `=` stays; a header holds no line break, so CR/LF
 *   become a space;
 * - extension values: `\` → `\\`, `=` → `\=`, LF → `\n`, CR → `\r` (a CRLF is `\r\n`); `|`
 *   stays; spaces are never escaped. Keys are fixed ASCII names.
 * - lengths as ArcSight's limits: vendor/product ≤ 63, device version ≤ 31, event class id ≤
 *   1023, name ≤ 512 characters (cut, never a broken escape), severity an integer 0–10.
 *
 * Extension: rt (window end, ms), start/end (episode, ms), act (firing|resolved), cat (kind),
 * externalId (alert id), msg (summary), dvchost (the service key), cs1 service, cs2 metric,
 * cs3 expected band, cs4 runbook, cs5 dashboard, cs6 peer (with their cs*Label), cfp1 observed,
 * cfp2 score.
 */
import { type Alert } from '../alert/schema.js';
import { serviceKey } from '../model.js';
import { CEF_SEVERITY, PRODUCT, type SiemOptions } from './common.js';

export const cut = (s: string, max: number): string => {
  const chars = [...s];
  return chars.length <= max ? s : chars.slice(0, max).join('');
};

/** A header field: backslash and pipe escaped, line breaks become spaces. */
export const escapeHeader = (s: string): string => s.replace(/[\\|]/g, (c) => `\\${c}`).replace(/\r\n|[\r\n]/g, ' ');

/** An extension value: backslash and equals escaped, line breaks written as \n and \r. */
export const escapeExtension = (s: string): string => s.replace(/[\\=\r\n]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\${c}`));

/** Cut before escaping, so a limit never splits an escape sequence. */
const header = (s: string, max: number): string => escapeHeader(cut(s, max));

export function cefOf(a: Alert, o: SiemOptions): string {
  const key = serviceKey(a.service);
  const ext: [string, string][] = [
    ['rt', String(Date.parse(a.window.end))],
    ['start', String(Date.parse(a.startsAt))],
    ...(a.endsAt === null ? [] : ([['end', String(Date.parse(a.endsAt))]] as [string, string][])),
    ['act', a.status],
    ['cat', a.kind],
    ['externalId', a.id],
    ['dvchost', key],
    ['msg', cut(a.summary, 1023)],
    ['cs1Label', 'service'],
    ['cs1', key],
    ['cs2Label', 'metric'],
    ['cs2', a.metric],
  ];
  if (a.expected) {
    const unit = a.unit === undefined ? '' : ` ${a.unit}`;
    ext.push(['cs3Label', 'expected'], ['cs3', `${a.expected.value} (band ${a.expected.lower}..${a.expected.upper})${unit}`]);
  }
  if (a.links?.runbook !== undefined) ext.push(['cs4Label', 'runbook'], ['cs4', a.links.runbook]);
  if (a.links?.dashboard !== undefined) ext.push(['cs5Label', 'dashboard'], ['cs5', a.links.dashboard]);
  if (a.peer) ext.push(['cs6Label', 'peer'], ['cs6', serviceKey(a.peer)]);
  ext.push(['cfp1Label', 'observed'], ['cfp1', String(a.observed)], ['cfp2Label', 'score'], ['cfp2', String(a.score)]);
  return cefLine(o, `${a.kind}/${a.metric}`, a.summary, CEF_SEVERITY[a.severity], ext);
}

/** One CEF line: the header (event class id, name, severity) and the extension pairs, escaped and cut to ArcSight's limits. */
export function cefLine(o: SiemOptions, classId: string, name: string, severity: number, ext: readonly [string, string][]): string {
  return [
    'CEF:0',
    header(PRODUCT.vendor, 63),
    header(PRODUCT.name, 63),
    header(o.productVersion, 31),
    header(classId, 1023),
    header(name, 512),
    String(severity),
    ext.map(([k, v]) => `${k}=${escapeExtension(v)}`).join(' '),
  ].join('|');
}
