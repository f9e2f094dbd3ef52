// Durations as people type them on a command line: "24h", "90m", "3600s", "500ms", "1d"; a bare
// number is milliseconds, like every *Ms configuration key (formatDuration in core/status.ts goes back).

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;

/** Milliseconds (whole), or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (m === null) return undefined;
  return Math.round(Number(m[1]) * UNIT_MS[m[2] ?? "ms"]);
}
