import type { Clock } from '../../src/ports/clock.js';

/** A clock that moves only when told (sleep advances it at once), so timing logic runs in microseconds. */
export class ManualClock implements Clock {
  constructor(private t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.t += Math.max(0, ms);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
