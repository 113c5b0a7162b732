/**
 * Stratified bounding (thesis A.8): once a task is hard, sub-problems whose
 * bound is near the decision threshold and no longer improves much under
 * splitting go (with all their offspring) to the tight bounder.
 * c_LB is read as in the authors' code: min(UB, 0) - LB <= c_LB.
 */
export interface StratifiedSettings {
  /** Unpruned domains at which the task becomes hard. */
  readonly cHard: number;
  readonly cLb: number;
  readonly cDepth: number;
  /** Running average of parent->child LB improvement at or below which a domain is difficult. */
  readonly cImpr: number;
}

export const DEFAULT_STRATIFIED: StratifiedSettings = { cHard: 200, cLb: 0.5, cDepth: 0, cImpr: 0.1 };

export class StratifiedPolicy {
  private readonly s: StratifiedSettings;
  private hardTask = false;

  constructor(settings: Partial<StratifiedSettings> = {}) {
    this.s = { ...DEFAULT_STRATIFIED, ...settings };
  }

  noteOpenDomains(n: number): void {
    if (n >= this.s.cHard) this.hardTask = true;
  }

  get isHardTask(): boolean {
    return this.hardTask;
  }

  isDifficult(lb: number, improvement: number, depth: number, threshold: number): boolean {
    return this.hardTask && threshold - lb <= this.s.cLb && depth >= this.s.cDepth && improvement <= this.s.cImpr;
  }
}
