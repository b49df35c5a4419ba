/** The most calls in any 1000 ms of the recorded instants (ms): a busiest-second rate. */
export function busiestSecond(at: readonly number[]): number {
  return at.length ? Math.max(...at.map((t) => at.filter((u) => u >= t && u < t + 1000).length)) : 0
}
