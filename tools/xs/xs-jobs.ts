// What the XS host process is asked to do and what it answers. A job runs in a fresh xsnap worker
// that has evaluated the bundle; each step is one metered crank (or a heap snapshot).

export type XsStep =
  /** issueStringCommand: one command of the bundle's protocol (see command-host.ts). */
  | { command: string }
  /** gc(), then the live slot count. */
  | { gc: true }
  /** The size of a heap snapshot (taken after a full collection): live slots plus live chunks. */
  | { snapshot: true };

export interface XsStepResult {
  reply?: string;
  /** Computrons the crank took. */
  compute?: number;
  /** Live slots at the end of the crank. */
  heapCount?: number;
  snapshotBytes?: number;
}

export interface XsRequest {
  bundle: string;
  jobs: XsStep[][];
}
