/**
 * The union of the answer lists of several shards (results CSVs, gate JSONs), one entry per instance.
 *
 * An instance found in more than one list is a duplicate (a shard run twice, overlapping --shard
 * settings). The same decided answer twice is kept once; a decided answer (sat/unsat) is kept over
 * timeout/unknown/error; `sat` against `unsat` is a conflict: one of them is wrong and we cannot
 * tell which, so the instance becomes an error. An instance listed k times in one list (a row
 * repeated in instances.csv: sharding keeps such rows together) stays k entries.
 */

export interface UnionKeying<T> {
  key(item: T): string;
  /** sat | unsat | timeout | unknown | error. */
  answer(item: T): string;
  /** The entry that replaces conflicting answers. */
  conflict(items: readonly T[]): T;
}

export interface Duplicate {
  readonly key: string;
  /** Every answer found for the instance, with the position of its list, in list order. */
  readonly found: readonly { readonly source: number; readonly answer: string }[];
}

export interface Union<T> {
  /** In order of first appearance (list by list). */
  readonly items: T[];
  /** Instances found in more than one list (conflicts included). */
  readonly duplicates: Duplicate[];
  /** Duplicates with both sat and unsat among their answers. */
  readonly conflicts: Duplicate[];
}

const DECIDED = new Set(['sat', 'unsat']);

export function unionByKey<T>(lists: readonly (readonly T[])[], keying: UnionKeying<T>): Union<T> {
  const groups = new Map<string, { item: T; source: number }[]>();
  lists.forEach((list, source) => {
    for (const item of list) {
      const k = keying.key(item);
      const g = groups.get(k) ?? [];
      g.push({ item, source });
      groups.set(k, g);
    }
  });
  const items: T[] = [];
  const duplicates: Duplicate[] = [];
  const conflicts: Duplicate[] = [];
  for (const [key, group] of groups) {
    const perSource = new Map<number, number>();
    for (const g of group) perSource.set(g.source, (perSource.get(g.source) ?? 0) + 1);
    const multiplicity = Math.max(...perSource.values());
    if (perSource.size === 1) {
      items.push(...group.map((g) => g.item));
      continue;
    }
    const answers = group.map((g) => keying.answer(g.item));
    const dup: Duplicate = { key, found: group.map((g, i) => ({ source: g.source, answer: answers[i] })) };
    duplicates.push(dup);
    if (answers.includes('sat') && answers.includes('unsat')) {
      conflicts.push(dup);
      const replacement = keying.conflict(group.map((g) => g.item));
      for (let i = 0; i < multiplicity; i++) items.push(replacement);
      continue;
    }
    // Stable sort: decided answers first, the earlier list first among equals.
    const ranked = [...group].sort((a, b) => Number(!DECIDED.has(keying.answer(a.item))) - Number(!DECIDED.has(keying.answer(b.item))));
    items.push(...ranked.slice(0, multiplicity).map((g) => g.item));
  }
  return { items, duplicates, conflicts };
}
