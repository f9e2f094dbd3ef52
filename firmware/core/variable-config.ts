// A variable's configuration: its TagoIO name and unit, the sensor field it reads, and its
// reporting filters; validated here for validateConfig, every problem naming its entry.

import { REPORTING_KEYS, validateReporting, type ReportingRules } from "./reporting.js";
import { codePointLength, describe, isRecord } from "./text.js";

export interface VariableConfig {
  /** TagoIO variable name: [a-z0-9_], at most 100 characters. */
  name: string;
  /** Unit sent with every reading, at most 25 characters. */
  unit?: string;
  /** Name of the sensor (as the host names it) that yields this variable. */
  sensor: string;
  /** Dotted path into the sensor's sample, e.g. "thermometer.temperature". */
  field: string;
  /** Which readings are worth a record (`reporting.ts`); absent: every one. */
  reporting?: ReportingRules;
  /** Sleep mode: a reading above or below these is urgent, uploaded at once (`wake.ts`). */
  alarmAbove?: number;
  alarmBelow?: number;
}

const VARIABLE = /^[a-z0-9_]+$/;
const FIELD_PATH = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;
const ALARM_KEYS = Object.freeze(["alarmAbove", "alarmBelow"] as const);
const VARIABLE_KEYS: readonly string[] = Object.freeze(["name", "unit", "sensor", "field", ...ALARM_KEYS, ...REPORTING_KEYS]);

export function validateVariables(raw: unknown, problems: string[], warnings: string[]): VariableConfig[] {
  const list: VariableConfig[] = [];
  let input = raw;
  if (typeof input === "string") {
    try {
      input = JSON.parse(input);
    } catch {
      problems.push("variables: not valid JSON");
      return list;
    }
  }
  if (!Array.isArray(input) || input.length === 0) {
    problems.push("variables: must be a non-empty list of {name, unit, sensor, field} (and optional filters)");
    return list;
  }
  if (input.length > 255) problems.push(`variables: at most 255 variables (got ${input.length})`);
  const seen = new Set<string>();
  input.forEach((entry: unknown, i: number) => {
    const at = `variables[${i}]`;
    if (!isRecord(entry)) {
      problems.push(`${at}: must be an object`);
      return;
    }
    const { name, unit, sensor, field } = entry;
    for (const key of Object.keys(entry)) if (!VARIABLE_KEYS.includes(key)) warnings.push(`${at}.${key}: unknown setting, ignored`);
    let ok = true;
    if (typeof name !== "string" || !VARIABLE.test(name) || name.length > 100) {
      problems.push(`${at}.name: ${describe(name)} must be 1 to 100 characters of a-z, 0-9 and _`);
      ok = false;
    } else if (seen.has(name)) {
      problems.push(`${at}.name: "${name}" is used twice`);
      ok = false;
    }
    // A string has no more code points than UTF-16 units: only a long one is counted.
    if (unit !== undefined && (typeof unit !== "string" || (unit.length > 25 && codePointLength(unit) > 25))) {
      problems.push(`${at}.unit: must be a string of at most 25 characters`);
      ok = false;
    }
    if (typeof sensor !== "string" || sensor === "") {
      problems.push(`${at}.sensor: must name a sensor`);
      ok = false;
    }
    if (typeof field !== "string" || !FIELD_PATH.test(field)) {
      problems.push(`${at}.field: ${describe(field)} must be a dotted path such as "thermometer.temperature"`);
      ok = false;
    }
    const reporting = validateReporting(entry, at, problems);
    const alarms: Partial<Record<(typeof ALARM_KEYS)[number], number>> = {};
    for (const key of ALARM_KEYS) {
      const raw = entry[key];
      if (raw === undefined) continue;
      const n = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
      if (typeof n === "number" && Number.isFinite(n)) alarms[key] = n;
      else {
        problems.push(`${at}.${key}: ${describe(raw)} is not a finite number`);
        ok = false;
      }
    }
    if (alarms.alarmAbove !== undefined && alarms.alarmBelow !== undefined && alarms.alarmBelow >= alarms.alarmAbove) {
      problems.push(`${at}.alarmBelow: ${alarms.alarmBelow} must be below alarmAbove (${alarms.alarmAbove})`);
    }
    if (!ok) return;
    seen.add(name as string);
    const variable: VariableConfig = { name: name as string, sensor: sensor as string, field: field as string };
    if (typeof unit === "string" && unit !== "") variable.unit = unit;
    if (Object.keys(reporting).length > 0) variable.reporting = reporting;
    list.push({ ...variable, ...alarms });
  });
  return list;
}
