/**
 * The read-only view of one service's learned profile (the StateQuery port's `profile`, the
 * `meshwatch profiles` commands): the recommendation with the VPA defaults, the learned history's
 * extent and its bounds counters. Pure: derived from a ServiceState.
 */
import { type ServiceId } from '../model.js';
import { type ServiceState } from '../pipeline/service-state.js';
import { type LearnedProfile } from './learn.js';
import { DEFAULT_RECOMMEND, type Recommendation, type RecommendParams, recommend } from './recommend.js';

export interface ProfileView {
  service: ServiceId;
  recommendation: Recommendation;
  overflow: LearnedProfile['overflow'];
}

/** undefined when the state holds no learned profile yet. */
export function profileView(state: ServiceState, r: RecommendParams = DEFAULT_RECOMMEND): ProfileView | undefined {
  if (!state.profile) return undefined;
  return { service: state.service, recommendation: recommend(state.profile, r), overflow: state.profile.overflow };
}
