/**
 * The score every test reports: s / (s + bar) ∈ [0, 1] for a standing s against the test's bar:
 * 0.5 at the bar, → 1 as the deviation grows.
 */
export const scoreOf = (z: number, threshold: number): number => Math.abs(z) / (Math.abs(z) + threshold);
