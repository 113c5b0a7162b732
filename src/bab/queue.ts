import type { Domain } from './domain.js';
import { MinHeap } from './heap.js';

/**
 * Open domains in two orders at once: by lower bound (what proving needs:
 * the worst domain first) and by the best objective value seen at the
 * domain's candidate points (what finding a counterexample needs: the most
 * promising domain first). A domain taken through one order is skipped
 * lazily in the other.
 *
 * For a property that holds, the order costs nothing: every open domain
 * must be split until its bound is positive, whichever comes first.
 */
export class DomainQueue {
  private readonly byLb = new MinHeap<Domain>();
  private readonly byUb = new MinHeap<Domain>();
  private readonly taken = new WeakSet<Domain>();
  private live = 0;

  get size(): number {
    return this.live;
  }

  push(d: Domain): void {
    this.byLb.push(d, d.lb);
    this.byUb.push(d, d.ub);
    this.live++;
  }

  /** Every open domain, in no particular order. */
  forEach(f: (d: Domain) => void): void {
    this.byLb.forEach((d) => {
      if (!this.taken.has(d)) f(d);
    });
  }

  /** Lowest lower bound among open domains (Infinity when empty). */
  peekLb(): number {
    this.skipTaken(this.byLb);
    return this.byLb.peekKey();
  }

  /** The domain popByLb would return, left in the queue. */
  peekByLb(): Domain | undefined {
    this.skipTaken(this.byLb);
    return this.byLb.peek();
  }

  popByLb(): Domain | undefined {
    return this.take(this.byLb);
  }

  popByUb(): Domain | undefined {
    return this.take(this.byUb);
  }

  private skipTaken(h: MinHeap<Domain>): void {
    while (h.size > 0 && this.taken.has(h.peek()!)) h.pop();
  }

  private take(h: MinHeap<Domain>): Domain | undefined {
    this.skipTaken(h);
    const d = h.pop();
    if (d) {
      this.taken.add(d);
      this.live--;
      this.compact();
    }
    return d;
  }

  /** Taken domains linger in the other heap (with their arrays): rebuild it when they dominate. */
  private compact(): void {
    for (const [h, key] of [
      [this.byLb, (d: Domain) => d.lb],
      [this.byUb, (d: Domain) => d.ub],
    ] as const) {
      if (h.size <= 2 * this.live + 1024) continue;
      for (const d of h.drain()) if (!this.taken.has(d)) h.push(d, key(d));
    }
  }
}
