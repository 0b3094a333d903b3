/**
 * The one episode state machine (detect/episode.ts): fire, hold, resolve, cooldown, the same for
 * every alert kind.
 */
import { describe, expect, test } from 'vitest';
import { type Episode } from '../../../src/core/alert/build.js';
import { EpisodeBook } from '../../../src/core/detect/episode.js';

const SVC = { namespace: 'shop', name: 'cart' };
const W = 10_000;
const episode = (startsAt: number): Episode => ({
  id: `e-${startsAt}`,
  kind: 'spike',
  metric: 'cpu_cores',
  startsAt,
  calm: 0,
  severity: 'warning',
  score: 0.6,
  observed: 1,
  expected: { value: 0.5, lower: 0.4, upper: 0.6 },
});

/** Steps one key through windows 0..n−1; `at(i)` says [active, trigger]. */
function play(n: number, at: (i: number) => [boolean, boolean], rules = { resolveWindows: 2, cooldownWindows: 3 }): string[] {
  let episodes: Record<string, Episode> = {};
  let cooldowns: Record<string, number> = {};
  const log: string[] = [];
  for (let i = 0; i < n; i++) {
    const book = new EpisodeBook(episodes, cooldowns, { service: SVC, windowStart: i * W, windowMs: W }, rules);
    const [active, trigger] = at(i);
    book.step('spike:cpu_cores', active, trigger, () => episode(i * W), { z: 5 }, 0.5);
    for (const a of book.alerts) log.push(`${i}:${a.status}`);
    episodes = book.episodes;
    cooldowns = book.cooldowns;
  }
  return log;
}

describe('EpisodeBook', () => {
  test('fires on trigger, holds while active, resolves after resolveWindows calm windows', () => {
    expect(play(8, (i) => [i >= 1 && i <= 3, i === 1])).toEqual(['1:firing', '5:resolved']);
  });

  test('an active window resets the calm count', () => {
    expect(play(10, (i) => [i === 1 || i === 3, i === 1])).toEqual(['1:firing', '5:resolved']);
  });

  test('does not fire again while cooling down, and fires after', () => {
    // resolved at 5, cooling down until window 8 (5 + 3): triggers at 6 and 7 are ignored.
    expect(play(12, (i) => [i >= 1 && i <= 3 ? true : i >= 6, i === 1 || i >= 6])).toEqual(['1:firing', '5:resolved', '8:firing']);
  });

  test('without cooldown it may fire again at once', () => {
    expect(play(8, (i) => [i === 1 || i >= 4, i === 1 || i >= 4], { resolveWindows: 2, cooldownWindows: 0 })).toEqual([
      '1:firing',
      '3:resolved',
      '4:firing',
    ]);
  });

  test('a trigger while open neither fires again nor changes the episode', () => {
    expect(play(6, () => [true, true])).toEqual(['0:firing']);
  });

  test('does not mutate the state it was given', () => {
    const episodes = { 'spike:cpu_cores': episode(0) };
    const cooldowns = { 'drop:x': 5 * W, 'drop:y': 0 };
    const book = new EpisodeBook(
      episodes,
      cooldowns,
      { service: SVC, windowStart: W, windowMs: W },
      { resolveWindows: 1, cooldownWindows: 2 },
    );
    book.step('spike:cpu_cores', false, false, () => episode(W), {}, 0);
    expect(episodes['spike:cpu_cores']).toBeDefined();
    expect(book.episodes['spike:cpu_cores']).toBeUndefined();
    // expired cooldowns are dropped; the resolve starts one
    expect(book.cooldowns).toEqual({ 'drop:x': 5 * W, 'spike:cpu_cores': 3 * W });
    expect(cooldowns).toEqual({ 'drop:x': 5 * W, 'drop:y': 0 });
  });
});
