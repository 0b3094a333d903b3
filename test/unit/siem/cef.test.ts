/**
 * CEF lines with hostile service names and summaries: the header has exactly eight fields
 * once `\|` is honoured, no raw line break survives, and a reader that follows ArcSight's
 * rules (unescape `\\`, `\|` in the header; `\\`, `\=`, `\n`, `\r` in extension values) gets
 * every value back.
 */
import { describe, expect, it, test } from 'vitest';
import { type Alert } from '../../../src/core/alert/schema.js';
import { serviceKey } from '../../../src/core/model.js';
import { cefOf, cefOfIncident, escapeExtension, escapeHeader } from '../../../src/core/siem/index.js';
import { HOSTILE, hostileAlert, newPeerAlert, resolvedOf, sampleAlert, sampleIncident, stormIncident } from './alerts.js';

/** A CEF reader written from the escaping rules (not from meshwatch's writer). */
function parseCef(line: string): { header: string[]; ext: Record<string, string> } {
  const header: string[] = [];
  let cur = '';
  let i = 0;
  while (header.length < 7) {
    const c = line[i];
    if (c === undefined) throw new Error(`only ${header.length} header fields`);
    if (c === '\\' && (line[i + 1] === '|' || line[i + 1] === '\\')) {
      cur += line[i + 1];
      i += 2;
    } else if (c === '|') {
      header.push(cur);
      cur = '';
      i++;
    } else {
      cur += c;
      i++;
    }
  }
  const rest = line.slice(i);
  // keys are ASCII words followed by an unescaped '='; a value runs to the next ' key='
  const ext: Record<string, string> = {};
  const starts = [...rest.matchAll(/(?:^| )([A-Za-z0-9]+)=/g)].filter((m) => {
    let k = m.index + m[0].length - 2;
    let backslashes = 0;
    while (k >= 0 && rest[k] === '\\') {
      backslashes++;
      k--;
    }
    return backslashes % 2 === 0;
  });
  starts.forEach((m, n) => {
    const from = m.index + m[0].length;
    const to = n + 1 < starts.length ? starts[n + 1]!.index : rest.length;
    ext[m[1]!] = rest.slice(from, to).replace(/\\(.)/g, (_, ch: string) => (ch === 'n' ? '\n' : ch === 'r' ? '\r' : ch));
  });
  return { header, ext };
}

const OPTS = { productVersion: '0.1.0' };

describe('CEF', () => {
  test.each([
    ['a|b', 'a\\|b'],
    ['back\\slash', 'back\\\\slash'],
    ['k=v', 'k=v'],
    ['two\nlines', 'two lines'],
    ['crlf\r\nx', 'crlf x'],
  ])('header field %j is written %j', (raw, want) => {
    expect(escapeHeader(raw)).toBe(want);
  });

  test.each([
    ['k=v', 'k\\=v'],
    ['back\\slash', 'back\\\\slash'],
    ['a|b', 'a|b'],
    ['two\nlines', 'two\\nlines'],
    ['crlf\r\nx', 'crlf\\r\\nx'],
    ['with spaces', 'with spaces'],
  ])('extension value %j is written %j', (raw, want) => {
    expect(escapeExtension(raw)).toBe(want);
  });

  test.each<[string, Alert]>([
    ['a firing spike', sampleAlert()],
    ['its resolve', resolvedOf(sampleAlert())],
    ['a new peer', newPeerAlert()],
    ...HOSTILE.map((h): [string, Alert] => [`hostile ${JSON.stringify(h)}`, hostileAlert(h)]),
  ])('%s: eight header fields, one line, every value read back', (_, a) => {
    const line = cefOf(a, OPTS);
    expect(line).not.toMatch(/[\r\n]/);
    const { header, ext } = parseCef(line);
    expect(header.slice(0, 6)).toEqual([
      'CEF:0',
      'meshwatch',
      'meshwatch',
      '0.1.0',
      `${a.kind}/${a.metric}`,
      a.summary.replace(/\r\n|[\r\n]/g, ' '),
    ]);
    expect(header[6]).toMatch(/^(10|[0-9])$/);
    expect(ext).toMatchObject({
      act: a.status,
      cat: a.kind,
      externalId: a.id,
      msg: a.summary,
      cs1Label: 'service',
      cs1: serviceKey(a.service),
      dvchost: serviceKey(a.service),
      cs2: a.metric,
      cfp1: String(a.observed),
      rt: String(Date.parse(a.window.end)),
    });
    if (a.endsAt) expect(ext.end).toBe(String(Date.parse(a.endsAt)));
    if (a.links?.runbook) expect(ext.cs4).toBe(a.links.runbook);
    if (a.peer) expect(ext.cs6).toBe(serviceKey(a.peer));
  });

  it('maps severity to 0–10 and cuts the name at 512 characters without breaking an escape', () => {
    expect(parseCef(cefOf(sampleAlert({ severity: 'warning' }), OPTS)).header[6]).toBe('4');
    const long = sampleAlert({ summary: `${'|'.repeat(600)}` });
    const { header, ext } = parseCef(cefOf(long, OPTS));
    expect(header[5]).toBe('|'.repeat(512));
    expect(ext.msg).toBe('|'.repeat(600));
  });
});

describe('CEF of an incident', () => {
  it('one line listing every contributing metric (cs2) or storm service (cs3), escaped', () => {
    const i = sampleIncident({ summary: 'shop|checkout = broken\nnow' });
    const { header, ext } = parseCef(cefOfIncident(i, { productVersion: '0.1.0' }));
    expect(header.slice(4)).toEqual(['incident/service', 'shop|checkout = broken now', '10']);
    expect(ext.externalId).toBe(i.id);
    expect(ext.cs2Label).toBe('metrics');
    expect(ext.cs2!.split('; ').map((x) => x.split(' ')[0])).toEqual(i.metrics.map((m) => m.metric));
    expect(ext.msg).toBe('shop|checkout = broken\nnow');
    const storm = parseCef(cefOfIncident(stormIncident(), { productVersion: '0.1.0' }));
    expect(storm.ext.cs3).toBe('mesh/a, mesh/b%7Cx=1, mesh/c');
  });
});
