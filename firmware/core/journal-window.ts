// The RAM ring as a window on the flash journal: journaled readings move into it, oldest first,
// while it has room, each under the variable it was taken as. Sleep mode moves them only for an
// upload, so a wake that only samples reads no older reading from flash.

import type { Journal } from "./journal.js";
import type { Ring } from "./ring.js";
import type { VariableTable } from "./variables.js";

/** Moves journaled readings into `ring` while it has room, oldest first. */
export function fillFromJournal(journal: Journal, ring: Ring, variables: VariableTable): void {
  for (let r = journal.peek(); r !== undefined && ring.accepts(r.value); r = journal.peek()) {
    let variable = r.variable;
    if (r.list !== 0) {
      // Taken under an earlier variable list: sent under the name and unit it was taken with.
      const taken = journal.variablesOf(r.list)[r.variable];
      variable = variables.indexOf(taken);
      if (variable < 0) {
        // Every index is taken: the added ones are free once the ring holds no reading.
        if (ring.count > 0) return;
        variables.reset();
        variable = variables.indexOf(taken);
      }
    }
    ring.push(variable, r.value, r.time, r.flags);
    journal.take();
  }
}
