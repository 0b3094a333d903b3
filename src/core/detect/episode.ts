/**
 * The episode state machine every alert kind goes through (spike, drop, leak, new_peer, and the
 * detectors to come): one book per (service, window) over the service's open episodes and
 * cooldowns.
 *
 *   closed ──trigger, not cooling down──▶ open (firing alert)
 *   open ──active──▶ open (calm = 0: hold)
 *   open ──not active──▶ open (calm + 1), and after `resolveWindows` such windows ─▶ closed
 *        (resolved alert), cooling down for `cooldownWindows` windows
 *
 * At most one open episode per key (`<kind>:<metric or peer>`). Pure: the book's maps are this
 * window's copies; alerts are appended in the order the steps are taken.
 */
import { type Alert } from '../alert/schema.js';
import { type AlertContext, type Episode, buildAlert } from '../alert/build.js';

export interface EpisodeRules {
  resolveWindows: number;
  cooldownWindows: number;
}

export class EpisodeBook {
  /** Open episodes by key (this window's copy). */
  readonly episodes: Record<string, Episode>;
  /** Keys that may not fire again before the window start they map to. */
  readonly cooldowns: Record<string, number> = {};
  readonly alerts: Alert[] = [];
  private openCount = 0;

  /** No episode is open: a `step` that is not active can do nothing (callers skip building its arguments). */
  get quiet(): boolean {
    return this.openCount === 0;
  }

  constructor(
    episodes: Readonly<Record<string, Episode>>,
    cooldowns: Readonly<Record<string, number>>,
    private readonly ctx: AlertContext,
    private readonly rules: EpisodeRules,
  ) {
    this.episodes = { ...episodes };
    let open = 0;
    for (const k in this.episodes) if (Object.hasOwn(this.episodes, k)) open++;
    this.openCount = open;
    for (const k in cooldowns) {
      const until = cooldowns[k] as number;
      if (Object.hasOwn(cooldowns, k) && until > ctx.windowStart) this.cooldowns[k] = until;
    }
  }

  /**
   * One step of the episode of `key`: fire when `trigger` holds and the key is not cooling
   * down (`fire` builds the episode; `details` go on the firing alert); an open episode stays
   * open while `active`, and resolves after resolveWindows windows without it (`observed` is
   * the resolved alert's value).
   */
  step(key: string, active: boolean, trigger: boolean, fire: () => Episode, details: Alert['details'], observed: number): void {
    const open = this.episodes[key];
    if (open) {
      if (active) {
        if (open.calm !== 0) this.episodes[key] = { ...open, calm: 0 };
        return;
      }
      const calm = open.calm + 1;
      if (calm < this.rules.resolveWindows) {
        this.episodes[key] = { ...open, calm };
        return;
      }
      delete this.episodes[key];
      this.openCount--;
      if (this.rules.cooldownWindows > 0) this.cooldowns[key] = this.ctx.windowStart + this.rules.cooldownWindows * this.ctx.windowMs;
      this.alerts.push(buildAlert('resolved', { ...open, calm, observed }, this.ctx));
      return;
    }
    if (!trigger || this.cooldowns[key] !== undefined) return;
    const e = fire();
    this.episodes[key] = e;
    this.openCount++;
    this.alerts.push(buildAlert('firing', e, { ...this.ctx, details }));
  }
}
