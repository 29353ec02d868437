/**
 * A priority queue of devices by due time (a binary min-heap): ties go to the lower device index,
 * so devices due together take turns in a fixed order.
 */
export class DueQueue {
  private readonly due: number[] = [];
  private readonly index: number[] = [];

  get size(): number {
    return this.due.length;
  }

  push(dueMs: number, device: number): void {
    this.due.push(dueMs);
    this.index.push(device);
    this.up(this.due.length - 1);
  }

  /** The earliest entry, or undefined when empty. */
  peek(): { dueMs: number; device: number } | undefined {
    return this.due.length === 0 ? undefined : { dueMs: this.due[0]!, device: this.index[0]! };
  }

  pop(): { dueMs: number; device: number } | undefined {
    const top = this.peek();
    if (!top) return undefined;
    const lastDue = this.due.pop()!;
    const lastIndex = this.index.pop()!;
    if (this.due.length > 0) {
      this.due[0] = lastDue;
      this.index[0] = lastIndex;
      this.down(0);
    }
    return top;
  }

  clear(): void {
    this.due.length = 0;
    this.index.length = 0;
  }

  private before(a: number, b: number): boolean {
    return this.due[a]! < this.due[b]! || (this.due[a] === this.due[b] && this.index[a]! < this.index[b]!);
  }

  private swap(a: number, b: number): void {
    [this.due[a], this.due[b]] = [this.due[b]!, this.due[a]!];
    [this.index[a], this.index[b]] = [this.index[b]!, this.index[a]!];
  }

  private up(at: number): void {
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.before(at, parent)) return;
      this.swap(at, parent);
      at = parent;
    }
  }

  private down(at: number): void {
    const n = this.due.length;
    for (;;) {
      const left = 2 * at + 1;
      const right = left + 1;
      let first = at;
      if (left < n && this.before(left, first)) first = left;
      if (right < n && this.before(right, first)) first = right;
      if (first === at) return;
      this.swap(at, first);
      at = first;
    }
  }
}
