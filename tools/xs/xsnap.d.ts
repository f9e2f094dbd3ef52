// The part of @agoric/xsnap's Node driver the XS host uses (the package ships no declarations).

declare module "@agoric/xsnap" {
  export interface MeterUsage {
    compute: number | null;
    currentHeapCount: number | null;
  }
  export interface RunResult<T> {
    reply: T;
    meterUsage: MeterUsage;
  }
  export interface XSnap {
    evaluate(code: string): Promise<RunResult<Uint8Array>>;
    issueStringCommand(message: string): Promise<RunResult<string>>;
    makeSnapshotStream(description?: string): AsyncGenerator<Uint8Array, void, undefined>;
    close(): Promise<void>;
  }
  export interface XSnapOptions {
    os: string;
    spawn: typeof import("node:child_process").spawn;
    fs: object;
    name?: string;
    meteringLimit?: number;
    stdout?: "ignore" | "inherit" | "pipe";
    stderr?: "ignore" | "inherit" | "pipe";
  }
  export function xsnap(options: XSnapOptions): Promise<XSnap>;
}
