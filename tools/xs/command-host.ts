// The command protocol of a bundle that runs on XS (xsnap) and on Node alike. A command is the
// JSON text {name, args}; its reply is the JSON text {value} or {error}. On xsnap, `handleCommand`
// gets the bytes and answers through a report object whose `result` is set when the async handler
// ends: xsnap reads it once the promise queue is empty. Node calls `runCommand` directly.
// Portable: uses only ES2022 and the TextEncoder/TextDecoder that xsnap (and the device) provide.

export type CommandHandler = (args: unknown) => unknown;

export interface CommandGlobals {
  runCommand(text: string): Promise<string>;
  handleCommand(bytes: ArrayBuffer): { result?: ArrayBuffer };
}

export function serveCommands(handlers: Readonly<Record<string, CommandHandler>>): void {
  const runCommand = async (text: string): Promise<string> => {
    try {
      const { name, args } = JSON.parse(text) as { name: string; args: unknown };
      const handler = handlers[name];
      if (handler === undefined) throw new Error(`no command named ${name}`);
      return JSON.stringify({ value: await handler(args) });
    } catch (e) {
      return JSON.stringify({ error: e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : String(e) });
    }
  };
  const handleCommand = (bytes: ArrayBuffer): { result?: ArrayBuffer } => {
    const report: { result?: ArrayBuffer } = {};
    void runCommand(new TextDecoder().decode(bytes)).then((reply) => {
      report.result = new TextEncoder().encode(reply).buffer as ArrayBuffer;
    });
    return report;
  };
  const globals: CommandGlobals = { runCommand, handleCommand };
  Object.assign(globalThis, globals);
}

/** The value of a reply, or the error it carries, thrown. */
export function replyValue<T>(reply: string): T {
  const parsed = JSON.parse(reply) as { value?: T; error?: string };
  if (parsed.error !== undefined) throw new Error(`command failed: ${parsed.error}`);
  return parsed.value as T;
}

/** The text of one command. */
export function command(name: string, args?: unknown): string {
  return JSON.stringify({ name, args });
}
