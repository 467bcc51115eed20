import type { Clock } from '../ports/clock.js';

/**
 * Everything one run does side by side (a replay, a watch loop, injections in flight), so that
 * no promise floats: each is started through the scope and its error becomes the run's at once.
 * The first error stops the run (loops see `stopped` at their next check) and `join` throws it
 * as soon as every loop has returned, so the caller's teardown never races a loop still
 * touching the platform. Side tasks are not waited for after a failure: a freeze in flight
 * thaws on its own timer, and whatever it does then is caught here.
 */
export class RunScope {
  private failure?: { cause: unknown };
  private stopping = false;
  private readonly loops: Promise<void>[] = [];
  private readonly tasks = new Set<Promise<void>>();
  private readonly failed: Promise<void>;
  private wake!: () => void;

  constructor() {
    this.failed = new Promise((resolve) => (this.wake = resolve));
  }

  /** True once the run failed or was told to stop: loops end, injections not yet sent are not sent. */
  get stopped(): boolean {
    return this.stopping;
  }

  stop(): void {
    this.stopping = true;
  }

  /** Ends the run with `cause` (the first one counts). */
  fail(cause: unknown): void {
    this.failure ??= { cause };
    this.stop();
    this.wake();
  }

  /** Starts a loop of the run; `join` waits for it to return. */
  loop(body: () => Promise<unknown>): void {
    this.loops.push(this.guarded(body));
  }

  /** Starts a task beside the loops (an injection); `join` waits for it too, unless the run failed. */
  spawn(body: () => Promise<unknown>): void {
    const task = this.guarded(body);
    this.tasks.add(task);
    void task.then(() => this.tasks.delete(task));
  }

  /** Resolves once the loops have returned and the tasks are done; rejects with the run's first error. */
  async join(): Promise<void> {
    await Promise.all(this.loops);
    while (!this.failure && this.tasks.size > 0) await Promise.race([Promise.all(this.tasks), this.failed]);
    if (this.failure) throw this.failure.cause;
  }

  private async guarded(body: () => Promise<unknown>): Promise<void> {
    try {
      await body();
    } catch (e) {
      this.fail(e);
    }
  }
}

/**
 * The thin scheduler of a watch (a loop is a scheduler around a tick that tests call directly): `tick()` every `periodMs`, start to start, until
 * a report says `done` (returned) or `stopped()` turns true (undefined). A tick's error rejects.
 */
export async function tickEvery<R extends { done: boolean }>(clock: Clock, periodMs: number, tick: () => Promise<R>, stopped: () => boolean): Promise<R | undefined> {
  while (!stopped()) {
    const started = clock.now();
    const r = await tick();
    if (r.done) return r;
    await clock.sleep(Math.max(0, periodMs - (clock.now() - started)));
  }
  return undefined;
}
