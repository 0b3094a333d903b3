// meshwatch's page: reads the read-only API every few seconds and draws each service's recent
// windows as SVG (value, the band each window was judged against, alert markers), its peers
// (new ones highlighted) and the recent alerts. Every name from the API is untrusted text: it is
// only ever set as textContent or an attribute value, never parsed as markup.

const REFRESH_MS = 2000;
const SVG = 'http://www.w3.org/2000/svg';
const W = 320;
const H = 110;
const PAD = { left: 4, right: 4, top: 8, bottom: 14 };

const state = {
  token: sessionStorage.getItem('meshwatch-token') ?? '',
  selected: new URLSearchParams(location.hash.slice(1)).get('service') ?? '',
  busy: false,
};

// A token given in the address (#token=…, never sent to a server) is kept for this tab only.
{
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('token');
  if (token) {
    state.token = token;
    sessionStorage.setItem('meshwatch-token', token);
    params.delete('token');
    history.replaceState(null, '', `${location.pathname}${params.size ? `#${params}` : ''}`);
  }
}

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** An element with attributes and text (text only: never markup). */
function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function svgEl(tag, attrs = {}) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

class Unauthorized extends Error {}

async function api(path) {
  const headers = state.token ? { authorization: `Bearer ${state.token}` } : {};
  const res = await fetch(path, { headers, cache: 'no-store' });
  if (res.status === 401) throw new Unauthorized('the API asks for a token');
  if (res.status === 404) return undefined;
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw new Error(`${path}: ${res.status} ${body.error ?? ''} ${body.reason ?? ''}`);
  }
  return res.json();
}

const fmt = (x) => (x === null || x === undefined ? '–' : Math.abs(x) >= 1000 || x === 0 ? x.toFixed(0) : x.toPrecision(3));
const timeOf = (ms) => new Date(ms).toISOString().slice(11, 19);

/** The newest alert of each episode (the list is newest first): is it still firing? */
function firingEpisodes(alerts) {
  const latest = new Map();
  for (const a of alerts) if (!latest.has(a.id)) latest.set(a.id, a);
  return [...latest.values()].filter((a) => a.status === 'firing');
}

function select(key) {
  state.selected = key;
  const params = new URLSearchParams(location.hash.slice(1));
  params.set('service', key);
  history.replaceState(null, '', `#${params}`);
  void refresh();
}

/** `services`: the services' keys, as the API spells them. */
function renderServices(services, alerting) {
  const list = $('services');
  const focused = document.activeElement?.getAttribute('data-service');
  list.replaceChildren(
    ...services.map((key) => {
      const n = alerting.get(key) ?? 0;
      const button = el('button', { type: 'button', 'data-service': key, 'aria-pressed': key === state.selected });
      button.append(el('span', {}, key));
      if (n > 0) button.append(el('span', { class: 'badge', 'aria-label': `${n} alerts firing` }, `${n} firing`));
      button.addEventListener('click', () => select(key));
      const li = el('li', { 'data-testid': 'service', 'data-service': key, 'data-alerting': n > 0 });
      li.append(button);
      return li;
    }),
  );
  if (focused) list.querySelector(`button[data-service="${CSS.escape(focused)}"]`)?.focus();
}

/** Path segments through the points that have a value (a gap breaks the line). */
function linePath(points, x, y) {
  let d = '';
  let pen = false;
  for (const p of points) {
    if (p.value === null) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x(p.start).toFixed(1)},${y(p.value).toFixed(1)}`;
    pen = true;
  }
  return d;
}

/** The band as closed shapes, one per run of windows that were judged. */
function bandPath(points, x, y) {
  const all = [];
  let cur = [];
  for (const p of points) {
    if (p.expected) cur.push(p);
    else if (cur.length) {
      all.push(cur);
      cur = [];
    }
  }
  if (cur.length) all.push(cur);
  return all
    .map((r) => {
      const top = r.map((p) => `${x(p.start).toFixed(1)},${y(p.expected.upper).toFixed(1)}`);
      const bottom = r.map((p) => `${x(p.start).toFixed(1)},${y(p.expected.lower).toFixed(1)}`).reverse();
      return `M${top.join('L')}L${bottom.join('L')}Z`;
    })
    .join('');
}

function chart(serviceKey, metric, points, windowMs, alerts) {
  const fig = el('figure', { 'data-testid': 'chart', 'data-service': serviceKey, 'data-metric': metric });
  const last = [...points].reverse().find((p) => p.value !== null);
  const caption = el('figcaption');
  caption.append(el('span', { class: 'metric' }, metric), el('span', {}, `last ${fmt(last?.value ?? null)}`));
  fig.append(caption);
  if (points.length === 0) return fig;
  const x0 = points[0].start;
  const x1 = Math.max(points[points.length - 1].start, x0 + windowMs);
  const ys = points.flatMap((p) => [p.value, p.expected?.lower, p.expected?.upper]).filter((v) => typeof v === 'number');
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
  if (hi - lo < 1e-9) [lo, hi] = [lo - 1, hi + 1];
  const x = (t) => PAD.left + ((t - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const y = (v) => H - PAD.bottom - ((v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
  const mine = alerts.filter((a) => a.metric === metric && Date.parse(a.windowStart) >= x0 && Date.parse(a.windowStart) <= x1);
  const svg = svgEl('svg', {
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': `${metric} of ${serviceKey}, last ${points.length} windows, ${mine.length} alert markers`,
  });
  svg.append(svgEl('path', { class: 'band', d: bandPath(points, x, y) }));
  svg.append(svgEl('path', { class: 'value', d: linePath(points, x, y) }));
  const axis = svgEl('text', { class: 'axis', x: PAD.left, y: H - 2 });
  axis.textContent = `${timeOf(x0)}  –  ${timeOf(x1)}   ${fmt(lo)} … ${fmt(hi)}`;
  svg.append(axis);
  for (const a of mine) {
    const t = Date.parse(a.windowStart);
    const point = points.find((p) => p.start === t);
    const g = svgEl('g', {
      class: `marker ${a.status}`,
      'data-testid': 'alert-marker',
      'data-kind': a.kind,
      'data-status': a.status,
      'data-window-start': a.windowStart,
      role: 'img',
      'aria-label': `${a.kind} ${a.status} at ${timeOf(t)}`,
    });
    const title = svgEl('title');
    title.textContent = a.summary;
    g.append(title, svgEl('line', { x1: x(t), x2: x(t), y1: PAD.top, y2: H - PAD.bottom }));
    g.append(svgEl('circle', { cx: x(t), cy: point?.value != null ? y(point.value) : PAD.top, r: 3.5 }));
    svg.append(g);
  }
  if (mine.some((a) => a.status === 'firing')) fig.classList.add('alerting');
  fig.append(svg);
  return fig;
}

function renderService(key, series, peers, alerts) {
  $('service-title').textContent = key || 'Pick a service';
  $('service').setAttribute('data-service', key);
  $('service-note').textContent =
    key && !series ? 'No recent windows of this service in this process yet.' : series ? `window ${series.windowMs / 1000} s` : '';
  $('charts').replaceChildren(...(series?.metrics ?? []).map((m) => chart(key, m.metric, m.points, series.windowMs, alerts)));
  $('peers').replaceChildren(
    ...(peers ?? []).map((p) => {
      const li = el('li', {
        'data-testid': 'peer',
        'data-peer': p.peer,
        'data-direction': p.direction,
        'data-new': p.new,
        class: p.new ? 'new' : '',
      });
      li.append(el('span', {}, `${p.direction === 'outbound' ? '→' : '←'} ${p.peer}`));
      if (p.new) li.append(el('span', { class: 'badge', 'aria-label': 'new peer' }, 'new'));
      return li;
    }),
  );
}

function renderAlerts(alerts) {
  $('alerts').replaceChildren(
    ...alerts.slice(0, 50).map((a) => {
      const tr = el('tr', { 'data-testid': 'alert', 'data-service': a.service, 'data-kind': a.kind, 'data-status': a.status });
      const service = el('button', { type: 'button' }, a.service);
      service.addEventListener('click', () => select(a.service));
      const cell = el('td');
      cell.append(service);
      tr.append(
        el('td', {}, timeOf(Date.parse(a.windowStart))),
        cell,
        el('td', { class: a.status }, a.status),
        el('td', {}, a.kind),
        el('td', {}, a.peer ?? a.metric),
        el('td', {}, a.summary),
      );
      return tr;
    }),
  );
}

const bytes = (x) =>
  x === null || x === undefined ? '–' : x >= 1 << 20 ? `${fmt(x / (1 << 20))} MiB` : x >= 1024 ? `${fmt(x / 1024)} KiB` : `${fmt(x)} B`;
const range = (e, f) => `${f(e.target)} (${f(e.lowerBound)} … ${e.upperBound === null ? '–' : f(e.upperBound)})`;

function renderProfile(profile) {
  const box = $('profile');
  if (!profile) {
    box.replaceChildren(el('p', {}, 'No profile learned yet.'));
    return;
  }
  const r = profile.recommendation;
  const table = el('table', { 'aria-label': 'recommended requests per container' });
  const head = el('tr');
  for (const h of ['container', 'CPU cores: target (lower … upper)', 'memory: target (lower … upper)', 'confidence', 'OOMs'])
    head.append(el('th', { scope: 'col' }, h));
  table.append(el('thead'), el('tbody'));
  table.firstChild.append(head);
  for (const c of r.containers) {
    const tr = el('tr', { 'data-container': c.name });
    tr.append(
      el('td', {}, c.name),
      el('td', {}, range(c.cpuCores, fmt)),
      el('td', {}, range(c.memoryBytes, bytes)),
      el('td', {}, `${c.confidenceDays.toFixed(2)} days`),
      el('td', {}, String(c.ooms)),
    );
    table.lastChild.append(tr);
  }
  const t = r.traffic;
  const budget = el(
    'p',
    {},
    `Traffic budget (p99): ${fmt(t.requestsPerS)} req/s, egress ${bytes(t.egressBytesPerS)}/s, error ratio ${fmt(t.errorRatio)}; ` +
      `learned from ${r.windows} windows, ${r.peers.length} peers.`,
  );
  box.replaceChildren(table, budget);
}

/** Renders only what changed since the last refresh (keeps the keyboard focus where it is). */
const rendered = new Map();
function renderIfChanged(name, data, render) {
  const text = JSON.stringify(data);
  if (rendered.get(name) === text) return;
  rendered.set(name, text);
  render();
}

async function refresh() {
  if (state.busy) return;
  state.busy = true;
  try {
    const [services, recent] = await Promise.all([api('/api/v1/services?limit=1000'), api('/api/v1/alerts?limit=1000')]);
    const alerts = recent?.alerts ?? [];
    const alerting = new Map();
    for (const a of firingEpisodes(alerts)) alerting.set(a.service, (alerting.get(a.service) ?? 0) + 1);
    renderIfChanged('services', [services, [...alerting], state.selected], () => renderServices(services?.keys ?? [], alerting));
    const key = state.selected;
    if (key) {
      const path = `/api/v1/services/${encodeURIComponent(key)}`;
      const [series, peers, profile] = await Promise.all([api(`${path}/series`), api(`${path}/peers`), api(`${path}/profile`)]);
      const mine = alerts.filter((a) => a.service === key);
      if (key === state.selected) {
        renderIfChanged('service', [key, series, peers, mine], () => renderService(key, series, peers?.peers, mine));
        renderIfChanged('profile', [key, profile], () => renderProfile(profile));
      }
    }
    renderIfChanged('alerts', alerts.slice(0, 50), () => renderAlerts(alerts));
    $('token-form').hidden = true;
    $('status').textContent =
      `${services?.services?.length ?? 0} services, ${alerting.size} alerting · updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    if (e instanceof Unauthorized) $('token-form').hidden = false;
    $('status').textContent = e instanceof Error ? e.message : String(e);
  } finally {
    state.busy = false;
  }
}

$('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  state.token = /** @type {HTMLInputElement} */ ($('token')).value;
  sessionStorage.setItem('meshwatch-token', state.token);
  void refresh();
});

void refresh();
setInterval(() => void refresh(), REFRESH_MS);
