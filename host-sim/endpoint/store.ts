// The endpoint's durable state in one SQLite file (WAL): devices, their configuration params and
// every record received. The schema is created on first open; statements are prepared once and
// cached by their SQL; one request's records go in one transaction, so a body is stored whole or
// not at all. Times are kept as integer milliseconds so ordering and date filters are numeric.

import Database from "better-sqlite3";
import { randomBytes, randomInt } from "node:crypto";
import { join } from "node:path";
import type { DataFilter, DataRequest } from "./data-query.js";
import type { EndpointDevice, StoredRecord } from "./server.js";
import type { NewRecord } from "./validate.js";

const MAX_PARAMS = 60;
const MAX_STATEMENTS = 256;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS devices (
  key INTEGER PRIMARY KEY,     -- what params and data refer to: small keys keep the indexes small
  id TEXT NOT NULL UNIQUE,
  token TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  active INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_input INTEGER
);
CREATE TABLE IF NOT EXISTS params (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  device INTEGER NOT NULL REFERENCES devices (key),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  sent INTEGER NOT NULL,
  UNIQUE (device, key)
);
CREATE TABLE IF NOT EXISTS data (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  device INTEGER NOT NULL REFERENCES devices (key),
  variable TEXT NOT NULL,
  type TEXT NOT NULL,          -- 's', 'n' or 'b'
  value BLOB NOT NULL,         -- BLOB affinity: kept exactly as bound (text or number)
  unit TEXT,
  grp TEXT,
  time INTEGER NOT NULL,
  location TEXT,
  metadata TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS data_by_variable ON data (device, variable, time);
CREATE INDEX IF NOT EXISTS data_by_time ON data (device, time);
`;

export interface DeviceRow {
  /** The store's own key for the device; `id` is the one clients see. */
  key: number;
  id: string;
  token: string;
  name: string;
  active: boolean;
  created_at: number;
  updated_at: number;
  last_input: number | null;
}

export interface ParamRow {
  id: string;
  key: string;
  value: string;
  sent: boolean;
}

type StoredDevice = Omit<DeviceRow, "active"> & { active: number };

const deviceRow = (row: StoredDevice): DeviceRow => ({ ...row, active: row.active === 1 });

interface DataRow {
  id: string;
  device: number;
  variable: string;
  type: "s" | "n" | "b";
  value: string | number;
  unit: string | null;
  grp: string | null;
  time: number;
  location: string | null;
  metadata: string | null;
  created_at: number;
}

/** A numeric reading as the dashboard charts it. */
export interface Point {
  seq: number;
  variable: string;
  time: number;
  value: number;
}

/** What `GET /data` answers: records, or a bare number for count, avg and sum. */
export type DataAnswer = StoredRecord[] | number;

/** ISO text of a time; remembers the last one, since neighbouring rows mostly share their times. */
class IsoTimes {
  private ms = Number.NaN;
  private text = "";

  of(ms: number): string {
    if (ms !== this.ms) {
      this.ms = ms;
      this.text = new Date(ms).toISOString();
    }
    return this.text;
  }
}

/** Rows to records in TagoIO's field order; absent optional fields are left out, not nulled. */
class RecordMaker {
  private readonly times = new IsoTimes();
  private readonly created = new IsoTimes();

  constructor(private readonly deviceId: (key: number) => string) {}

  make = (row: DataRow): StoredRecord => {
    const out: StoredRecord = {
      id: row.id,
      device: this.deviceId(row.device),
      variable: row.variable,
      value: row.type === "b" ? row.value === 1 : row.value,
    } as StoredRecord; // time and created_at follow, set in field order
    if (row.unit !== null) out.unit = row.unit;
    if (row.grp !== null) out.group = row.grp;
    out.time = this.times.of(row.time);
    if (row.location !== null) out.location = JSON.parse(row.location);
    if (row.metadata !== null) out.metadata = JSON.parse(row.metadata);
    out.created_at = this.created.of(row.created_at);
    return out;
  };
}

/** 24 hex digits like TagoIO's ids: seconds, a per-open random part, a counter. */
class IdMaker {
  private readonly middle = randomBytes(5).toString("hex");
  private counter = randomInt(0x1000000);

  next(ms: number): string {
    this.counter = (this.counter + 1) & 0xffffff;
    const seconds = (Math.floor(ms / 1000) >>> 0).toString(16).padStart(8, "0");
    return seconds + this.middle + this.counter.toString(16).padStart(6, "0");
  }
}

function where(device: number, f: DataFilter): { sql: string; args: unknown[] } {
  const parts = ["device = ?"];
  const args: unknown[] = [device];
  const among = (column: string, values: string[]): void => {
    if (values.length === 0) return;
    parts.push(`${column} IN (${values.map(() => "?").join(",")})`);
    args.push(...values);
  };
  among("variable", f.variables);
  among("grp", f.groups);
  among("id", f.ids);
  if (f.startMs !== undefined) {
    parts.push("time >= ?");
    args.push(f.startMs);
  }
  if (f.endMs !== undefined) {
    parts.push("time <= ?");
    args.push(f.endMs);
  }
  return { sql: parts.join(" AND "), args };
}

export class Store {
  private readonly db: Database.Database;
  private readonly ids = new IdMaker();
  private readonly statements = new Map<string, Database.Statement>();
  private readonly deviceIds = new Map<number, string>();
  private readonly insertMany: (device: number, records: NewRecord[], receivedAt: number) => void;

  constructor(
    dataDir: string,
    private readonly now: () => number,
  ) {
    this.db = new Database(join(dataDir, "tago-local.sqlite"));
    this.db.pragma("journal_mode = WAL");
    // With WAL, NORMAL survives a crash of the process (only a power cut can lose the last commits).
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(SCHEMA);
    const insert = this.db.prepare(
      `INSERT INTO data (id, device, variable, type, value, unit, grp, time, location, metadata, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const touch = this.db.prepare("UPDATE devices SET last_input = ? WHERE key = ?");
    this.insertMany = this.db.transaction((device: number, records: NewRecord[], receivedAt: number) => {
      for (const r of records) {
        const type = typeof r.value === "string" ? "s" : typeof r.value === "number" ? "n" : "b";
        insert.run(
          this.ids.next(receivedAt),
          device,
          r.variable,
          type,
          typeof r.value === "boolean" ? Number(r.value) : r.value,
          r.unit ?? null,
          r.group ?? null,
          r.time ?? receivedAt,
          r.location === undefined ? null : JSON.stringify(r.location),
          r.metadata ?? null,
          receivedAt,
        );
      }
      touch.run(receivedAt, device);
    });
  }

  private statement(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (s === undefined) {
      // Filters make one shape of SQL per list length; start over rather than grow without bound.
      if (this.statements.size >= MAX_STATEMENTS) this.statements.clear();
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /**
   * Adds the device or updates it by token. Fields not given keep their stored value (new
   * devices: active, named "Local device"). A param whose value changed is unread again unless
   * `sent` says otherwise.
   */
  upsertDevice(device: EndpointDevice): void {
    const t = this.now();
    const apply = this.db.transaction(() => {
      const old = this.device(device.token);
      const name = device.name ?? old?.name ?? "Local device";
      const active = device.active ?? old?.active ?? true;
      this.statement(
        `INSERT INTO devices (id, token, name, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (token) DO UPDATE
         SET name = excluded.name, active = excluded.active, updated_at = excluded.updated_at`,
      ).run(this.ids.next(t), device.token, name, Number(active), t, t);
      const key = (this.device(device.token) as DeviceRow).key;
      for (const p of device.params ?? []) {
        const before = this.statement("SELECT value, sent FROM params WHERE device = ? AND key = ?").get(key, p.key) as
          | { value: string; sent: number }
          | undefined;
        const sent = p.sent ?? (before !== undefined && before.value === p.value && before.sent === 1);
        this.statement(
          `INSERT INTO params (id, device, key, value, sent) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (device, key) DO UPDATE SET value = excluded.value, sent = excluded.sent`,
        ).run(this.ids.next(t), key, p.key, p.value, Number(sent));
      }
      const total = (this.statement("SELECT COUNT(*) AS n FROM params WHERE device = ?").get(key) as { n: number }).n;
      if (total > MAX_PARAMS) {
        throw new RangeError(`a device has at most ${MAX_PARAMS} params (this one would have ${total})`);
      }
    });
    apply();
  }

  device(token: string): DeviceRow | undefined {
    const row = this.statement("SELECT * FROM devices WHERE token = ?").get(token) as StoredDevice | undefined;
    return row === undefined ? undefined : deviceRow(row);
  }

  /** Every device, in the order they were added. */
  devices(): DeviceRow[] {
    return (this.statement("SELECT * FROM devices ORDER BY key").all() as StoredDevice[]).map(deviceRow);
  }

  /** False when no device has this token. */
  setActive(token: string, active: boolean): boolean {
    const update = this.statement("UPDATE devices SET active = ?, updated_at = ? WHERE token = ?");
    return update.run(Number(active), this.now(), token).changes > 0;
  }

  addRecords(device: number, records: NewRecord[], receivedAt: number): void {
    this.insertMany(device, records, receivedAt);
  }

  /** The public id of a device key (devices are few and never deleted, so it is remembered). */
  private readonly deviceId = (key: number): string => {
    let id = this.deviceIds.get(key);
    if (id === undefined) {
      id = (this.statement("SELECT id FROM devices WHERE key = ?").get(key) as { id: string }).id;
      this.deviceIds.set(key, id);
    }
    return id;
  };

  /** The records a query selects. Iterated, not `all()`: far faster for a day of rows. */
  private select(sql: string, args: unknown[]): StoredRecord[] {
    const make = new RecordMaker(this.deviceId).make;
    const out: StoredRecord[] = [];
    for (const row of this.statement(sql).iterate(...args)) out.push(make(row as DataRow));
    return out;
  }

  /** Everything stored (for one device when given) after mark `after` (see `mark`), in the order it arrived. */
  records(device?: number, after = 0): StoredRecord[] {
    return device === undefined
      ? this.select("SELECT * FROM data WHERE seq > ? ORDER BY seq", [after])
      : this.select("SELECT * FROM data WHERE device = ? AND seq > ? ORDER BY seq", [device, after]);
  }

  /** How many records a device has, counted in SQL: loading a day of rows just to count them takes seconds. */
  count(device: number): number {
    return (this.statement("SELECT COUNT(*) AS n FROM data WHERE device = ?").get(device) as { n: number }).n;
  }

  /** The time of a device's newest record; null when it has none. */
  newest(device: number): number | null {
    return (this.statement("SELECT MAX(time) AS t FROM data WHERE device = ?").get(device) as { t: number | null }).t;
  }

  /** A device's numeric records after mark `after` whose time is `sinceMs` or later, at most `limit`, as they arrived. */
  points(device: number, after: number, sinceMs: number, limit: number): Point[] {
    const sql = `SELECT seq, variable, time, value FROM data
                 WHERE device = ? AND seq > ? AND type = 'n' AND time >= ? ORDER BY seq LIMIT ?`;
    return this.statement(sql).all(device, after, sinceMs, limit) as Point[];
  }

  /** Where the data ends now: `records(device, mark)` later gives what arrived since. */
  mark(): number {
    return (this.statement("SELECT COALESCE(MAX(seq), 0) AS seq FROM data").get() as { seq: number }).seq;
  }

  query(device: number, r: DataRequest): DataAnswer {
    const w = where(device, r.filter);
    switch (r.kind) {
      case "list": {
        const dir = r.ascending ? "ASC" : "DESC";
        return this.select(`SELECT * FROM data WHERE ${w.sql} ORDER BY time ${dir}, seq ${dir} LIMIT ? OFFSET ?`, [
          ...w.args,
          r.qty,
          r.skip,
        ]);
      }
      case "count":
        return (this.statement(`SELECT COUNT(*) AS n FROM data WHERE ${w.sql}`).get(...w.args) as { n: number }).n;
      case "avg":
      case "sum": {
        const sql = `SELECT ${r.kind.toUpperCase()}(value) AS n FROM data WHERE ${w.sql} AND type = 'n'`;
        return (this.statement(sql).get(...w.args) as { n: number | null }).n ?? 0;
      }
      case "min":
        return this.perVariable(device, r.filter, "AND type = 'n'", "value ASC, time DESC");
      case "max":
        return this.perVariable(device, r.filter, "AND type = 'n'", "value DESC, time DESC");
      case "first":
      case "last": {
        const dir = r.kind === "first" ? "ASC" : "DESC";
        const order = r.pick === "insert" ? `seq ${dir}` : `time ${dir}, seq ${dir}`;
        return this.perVariable(device, r.filter, r.pick === "location" ? "AND location IS NOT NULL" : "", order);
      }
    }
  }

  /** Each variable's newest record by time: what `query=last_item` answers for the whole device. */
  latest(device: number): StoredRecord[] {
    const filter: DataFilter = { variables: [], groups: [], ids: [] };
    return this.query(device, { kind: "last", pick: "item", filter, details: false }) as StoredRecord[];
  }

  /** One record per variable (the ones asked for, else every variable in range), as TagoIO does. */
  private perVariable(device: number, filter: DataFilter, extra: string, order: string): StoredRecord[] {
    const w = where(device, { ...filter, variables: [] });
    const variables =
      filter.variables.length > 0
        ? filter.variables
        : (this.statement(`SELECT DISTINCT variable FROM data WHERE ${w.sql} ORDER BY variable`).all(...w.args) as {
            variable: string;
          }[]).map((row) => row.variable);
    const one = `SELECT * FROM data WHERE ${w.sql} AND variable = ? ${extra} ORDER BY ${order} LIMIT 1`;
    return variables.flatMap((variable) => this.select(one, [...w.args, variable]));
  }

  params(device: number, sent?: boolean): ParamRow[] {
    const rows = (
      sent === undefined
        ? this.statement("SELECT id, key, value, sent FROM params WHERE device = ? ORDER BY seq LIMIT ?").all(
            device,
            MAX_PARAMS,
          )
        : this.statement(
            "SELECT id, key, value, sent FROM params WHERE device = ? AND sent = ? ORDER BY seq LIMIT ?",
          ).all(device, Number(sent), MAX_PARAMS)
    ) as (Omit<ParamRow, "sent"> & { sent: number })[];
    return rows.map((row) => ({ ...row, sent: row.sent === 1 }));
  }

  /** False when the device has no param with this id. */
  markParam(device: number, id: string, sent: boolean): boolean {
    const update = this.statement("UPDATE params SET sent = ? WHERE device = ? AND id = ?");
    return update.run(Number(sent), device, id).changes > 0;
  }

  close(): void {
    this.db.close();
  }
}
