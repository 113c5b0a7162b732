/** Binary min-heap keyed by a number: the domain with the lowest lower bound comes out first. */
export class MinHeap<T> {
  private readonly keys: number[] = [];
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peekKey(): number {
    return this.keys.length ? this.keys[0] : Infinity;
  }

  /** Every item, in no particular order. */
  forEach(f: (item: T) => void): void {
    this.items.forEach((item) => f(item));
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T, key: number): void {
    const keys = this.keys;
    const items = this.items;
    let i = items.length;
    keys.push(key);
    items.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (keys[p] <= key) break;
      keys[i] = keys[p];
      items[i] = items[p];
      i = p;
    }
    keys[i] = key;
    items[i] = item;
  }

  pop(): T | undefined {
    const keys = this.keys;
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const lastKey = keys.pop()!;
    const lastItem = items.pop()!;
    const n = items.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && keys[r] < keys[l] ? r : l;
        if (keys[c] >= lastKey) break;
        keys[i] = keys[c];
        items[i] = items[c];
        i = c;
      }
      keys[i] = lastKey;
      items[i] = lastItem;
    }
    return top;
  }

  /** Remove and return everything (order unspecified). */
  drain(): T[] {
    const out = this.items.splice(0);
    this.keys.length = 0;
    return out;
  }
}
