import type { Clock } from '../../ports/clock.js';

/**
 * A clock that moves only when told, so timing logic runs in microseconds. Sleepers wait in a
 * timer queue: once every concurrent task has reached its own sleep (a few event-loop turns with
 * nothing else to do), time jumps to the earliest wake-up and only that sleeper wakes. Two loops
 * that sleep at once therefore interleave as they would on a real clock instead of adding their
 * sleeps. Fakes must answer without real I/O (promises only) for this to hold.
 */
export class ManualClock implements Clock {
  private timers: { at: number; seq: number; wake: () => void }[] = [];
  private seq = 0;
  private pumping = false;

  constructor(private t = 1_700_000_000_000) {}

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => {
      this.timers.push({ at: this.t + Math.max(0, ms), seq: this.seq++, wake });
      this.pump();
    });
  }

  /** Moves time on by hand (sleepers due by then wake in order at the next turns). */
  advance(ms: number): void {
    this.t += ms;
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    const turn = (left: number) =>
      setImmediate(() => {
        if (left > 0) return turn(left - 1);
        this.pumping = false;
        this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const next = this.timers.shift();
        if (!next) return;
        this.t = Math.max(this.t, next.at);
        next.wake();
        if (this.timers.length > 0) this.pump();
      });
    turn(3);
  }
}
