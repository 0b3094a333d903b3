/**
 * New peer: the first outbound call to a peer this service was never seen calling.
 *
 * Claim: every edge of the window is learned into the service's peers (bounded by
 * `maxPeersPerService`; a refused peer is counted as overflow and never alerted on); a new_peer
 * episode fires on the first outbound call to a peer not seen before, once the service has
 * closed `warmupWindows` windows (before that, peers are learned silently), and resolves after
 * `resolveWindows` windows without calls to that peer, through the same episode state machine
 * as every other kind (detect/episode.ts; a known peer never fires again, so its cooldown only
 * matters if peers are ever forgotten).
 */
import { type Episode, severityOf } from '../alert/build.js';
import { episodeId } from '../alert/id.js';
import { serviceKey } from '../model.js';
import { type Detector } from './detector.js';

const never = (): Episode => {
  throw new Error('new_peer: an episode fires only when its peer is first seen');
};
const NO_DETAILS = Object.freeze({});

export const newPeerDetector: Detector = {
  name: 'new-peer',
  kinds: ['new_peer'],
  window(w, book) {
    const { peers, edges } = w;
    // Peers added in this window, so the count known before it is found only when a peer fires.
    let added = 0;
    const warm = w.windowsBefore >= w.d.warmupWindows;
    for (const [key, edge] of Object.entries(edges)) {
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
      if (!warm || edge.direction !== 'outbound') continue;
      const subject = serviceKey(edge.peer);
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
        }),
        { requests: edge.requests, errors: edge.errors, bytes: edge.bytes, known_peers: Object.keys(peers).length - added },
        edge.requests,
      );
    }
    for (const [key, open] of Object.entries(book.episodes)) {
      if (open.kind !== 'new_peer' || !open.peer) continue;
      book.step(key, edges[`out:${serviceKey(open.peer)}`] !== undefined, false, never, NO_DETAILS, 0);
    }
  },
};
