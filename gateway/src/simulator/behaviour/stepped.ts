/**
 * A physical model integrated in fixed steps on an absolute time grid (multiples of `stepMs` since
 * the epoch). Its state at a grid time depends only on its parameters and random stream, never on
 * how often it was asked: advancing to T in one call or in a thousand gives the same state. Between
 * grid times the state is that of the last grid time passed.
 */
export abstract class SteppedModel {
  private clock: number;

  protected constructor(
    startMs: number,
    readonly stepMs: number,
  ) {
    this.clock = Math.floor(startMs / stepMs) * stepMs;
  }

  /** The grid time the state belongs to. */
  get clockMs(): number {
    return this.clock;
  }

  /** Integrates up to the last grid time at or before `ms`; an earlier time changes nothing. */
  advanceTo(ms: number): void {
    while (this.clock + this.stepMs <= ms) {
      this.step(this.clock, this.stepMs);
      this.clock += this.stepMs;
    }
  }

  /** Moves the state from grid time `t` to `t + dtMs`. */
  protected abstract step(t: number, dtMs: number): void;
}
