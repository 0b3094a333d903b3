/**
 * New peer: an outbound call to a peer this service may not call — one it was never seen
 * calling (learned), or, under a declared profile in enforce mode that lists its outbound
 * peers, one that list does not name (declared).
 *
 * Claim: every edge of the window is learned into the service's peers (bounded by
 * `maxPeersPerService`; a refused peer is counted as overflow and never alerted on).
 *  - learned (no declared outbound peers, or mode learn): a new_peer episode fires on the first
 *    outbound call to a peer not seen before, once the service has closed `warmupWindows`
 *    windows (before that, peers are learned silently);
 *  - declared (mode enforce with `peers.outbound`): an episode fires on any window with an
 *    outbound call to a peer the profile does not list, from the first window (the declared set
 *    needs no warm-up), however often that peer was seen before; a listed peer never fires.
 * Either way it resolves after `resolveWindows` windows without calls to that peer, through the
 * same episode state machine as every other kind (detect/episode.ts), and may fire again after
 * its cooldown if the calls resume.
 */
import { type Episode, severityOf } from '../alert/build.js';
import { episodeId } from '../alert/id.js';
import { serviceKey } from '../model.js';
import { type EdgeStat } from '../window/partial.js';
import { type Detector, type ServiceWindow } from './detector.js';
import { type EpisodeBook } from './episode.js';

const never = (): Episode => {
  throw new Error('new_peer: an episode fires only when its peer is first seen');
};
const NO_DETAILS = Object.freeze({});

function fire(
  w: ServiceWindow,
  book: EpisodeBook,
  edge: EdgeStat,
  subject: string,
  details: Record<string, number | string>,
  declared: boolean,
): void {
  book.step(
    `new_peer:${subject}`,
    true,
    true,
    (): Episode => ({
      id: episodeId(w.svc, 'new_peer', subject, w.windowStart),
      kind: 'new_peer',
      metric: 'edge',
      peer: edge.peer,
      startsAt: w.windowStart,
      calm: 0,
      severity: severityOf('new_peer', 'edge', 1),
      score: 1,
      observed: edge.requests,
      expected: null,
      ...(declared ? { basis: 'declared' as const } : {}),
    }),
    { requests: edge.requests, errors: edge.errors, bytes: edge.bytes, ...details },
    edge.requests,
  );
}

export const newPeerDetector: Detector = {
  name: 'new-peer',
  kinds: ['new_peer'],
  window(w, book) {
    const { peers, edges } = w;
    const declared = w.profile?.mode === 'enforce' ? w.profile.outbound : undefined;
    // Peers added in this window, so the count known before it is found only when a peer fires.
    let added = 0;
    const warm = w.windowsBefore >= w.d.warmupWindows;
    for (const [key, edge] of Object.entries(edges)) {
      const subject = serviceKey(edge.peer);
      if (declared && edge.direction === 'outbound' && !declared.has(subject)) {
        fire(w, book, edge, subject, { declared_peers: declared.size, profile: 'enforce' }, true);
      }
      const seen = peers[key];
      if (seen) {
        peers[key] = { ...seen, lastSeen: w.windowStart, requests: seen.requests + edge.requests };
        continue;
      }
      if (Object.keys(peers).length >= w.maxPeersPerService) {
        w.overflow++;
        continue;
      }
      peers[key] = {
        peer: edge.peer,
        direction: edge.direction,
        firstSeen: w.windowStart,
        lastSeen: w.windowStart,
        requests: edge.requests,
      };
      added++;
      if (declared || !warm || edge.direction !== 'outbound') continue;
      fire(w, book, edge, subject, { known_peers: Object.keys(peers).length - added }, false);
    }
    for (const [key, open] of Object.entries(book.episodes)) {
      if (open.kind !== 'new_peer' || !open.peer) continue;
      const subject = serviceKey(open.peer);
      book.step(key, edges[`out:${subject}`] !== undefined && !declared?.has(subject), false, never, NO_DETAILS, 0);
    }
  },
};
