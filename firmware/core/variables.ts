// The variables that buffered readings refer to by index (the ring keeps one byte per reading):
// the configuration's first, then those of readings journaled under an earlier variable list,
// added as the journal hands such readings out. When all 256 indexes are taken, the added ones
// are forgotten once no buffered reading refers to them (the ring is empty), and reused.

export interface Variable {
  readonly name: string;
  readonly unit?: string;
}

/** Indexes a reading can carry. */
export const MAX_VARIABLES = 256;

export class VariableTable {
  private readonly entries: Variable[];
  private readonly configured: number;
  private resets = 0;

  constructor(configured: readonly Variable[]) {
    this.entries = configured.slice();
    this.configured = configured.length;
  }

  /** The variable at `index`. */
  get(index: number): Variable {
    return this.entries[index];
  }

  /** Variables in the table. */
  get size(): number {
    return this.entries.length;
  }

  /** Changes each time `reset` frees indexes: what was cached by index is stale then. */
  get revision(): number {
    return this.resets;
  }

  /** The index of the variable with this name and unit, added when new; -1 when every index is taken. */
  indexOf(variable: Variable): number {
    const entries = this.entries;
    for (let i = 0; i < entries.length; i++) {
      if (entries[i].name === variable.name && entries[i].unit === variable.unit) return i;
    }
    if (entries.length >= MAX_VARIABLES) return -1;
    entries.push(variable);
    return entries.length - 1;
  }

  /** Forgets every variable added after the configuration's: only once nothing refers to them. */
  reset(): void {
    if (this.entries.length === this.configured) return;
    this.entries.length = this.configured;
    this.resets++;
  }
}
