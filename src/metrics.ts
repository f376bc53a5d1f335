// The operator's metrics: one prom-client registry per server, its series named `latchkey_*` with units in their
// names (README "Metrics" lists them). Built here, in the composition, from the ports the layers declare: core's
// Observations (core/observations.ts), storage's (storage/observations.ts) and the request hook (http/request-metrics.ts),
// so no layer below knows Prometheus. Gauges that need the database (active sessions, the mail queue) are read when
// Prometheus scrapes, one query each per scrape: nothing is asked of the database per request.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Config } from "./config.ts";
import type { Observations } from "./core/observations.ts";
import type { Database } from "./db/client.ts";
import { createMailQueueRepository } from "./db/repositories/mail-queue.ts";
import { createSessionsRepository } from "./db/repositories/sessions.ts";
import type { DialectMount, RequestObserver } from "./http/request-metrics.ts";
import type { Clock } from "./lib/clock.ts";
import type { StorageObservations } from "./storage/observations.ts";

/** Request durations: from a cached /healthz (well under a millisecond) to a large upload or a slow mail server. */
const REQUEST_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** argon2id at latchkey's cost takes ~50-80 ms on one core; past a second the thread pool is saturated. */
const HASH_SECONDS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5];

export interface Metrics {
  observations: Observations;
  storage: StorageObservations;
  requests: RequestObserver;
  /** Where each API is mounted, for the request hook's `dialect` label. */
  mounts: DialectMount[];
  /**
   * For scheduled backups (not built yet): a backup finished at `atMs`. The gauge
   * latchkey_backup_last_success_timestamp_seconds appears with the first one (alert on `time() - it`).
   */
  backupSucceeded(atMs: number): void;
  /** The text Prometheus scrapes, and its content type. */
  scrape(): Promise<{ body: string; contentType: string }>;
}

/** The API each mount belongs to (HBP's storage and health routes are HBP's); any other route is `service`. */
export function dialectMounts(config: Config): DialectMount[] {
  const mounts: DialectMount[] = ["/auth", "/storage", "/health", "/healthz", "/version"].map((prefix) => ({ prefix, dialect: "hbp" }));
  if (config.faroe.credential !== null) mounts.push({ prefix: config.faroe.prefix, dialect: "faroe" });
  if (config.lncrawl.enabled) mounts.push({ prefix: config.lncrawl.prefix, dialect: "lncrawl" });
  if (config.wolfpal.enabled) mounts.push({ prefix: config.wolfpal.prefix, dialect: "wolfpal" });
  return mounts;
}

/** Whether an error came from the database driver (drizzle wraps the driver's error as `cause`). */
function isDatabaseError(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    // bun:sqlite's errors are plain Errors named SQLiteError; drizzle's and Bun.SQL's are classes of their own.
    for (const name of [current.name, current.constructor?.name]) {
      if (name === "DrizzleQueryError" || name === "SQLiteError" || name === "PostgresError" || name === "SQLError") return true;
    }
  }
  return false;
}

export function createMetrics(deps: { config: Config; db: Database; clock: Clock }): Metrics {
  const { config, db, clock } = deps;
  const registry = new Registry();
  const registers = [registry];

  const requests = new Counter({
    name: "latchkey_http_requests_total",
    help: "HTTP requests answered, by API (dialect), route pattern, method and status.",
    labelNames: ["dialect", "route", "method", "status"] as const,
    registers,
  });
  const requestSeconds = new Histogram({
    name: "latchkey_http_request_duration_seconds",
    help: "Time from a request's arrival to its answer, by API (dialect), route pattern, method and status.",
    labelNames: ["dialect", "route", "method", "status"] as const,
    buckets: REQUEST_SECONDS,
    registers,
  });
  const signIns = new Counter({
    name: "latchkey_sign_ins_total",
    help: "Password sign-ins of every API, by result: success, wrong_password, throttled, second_factor, refused.",
    labelNames: ["result"] as const,
    registers,
  });
  const passwordlessSignIns = new Counter({
    name: "latchkey_passwordless_sign_ins_total",
    help: "Sign-ins through a provider or with a passkey, by method (provider, passkey) and result: success, second_factor, throttled, failed.",
    labelNames: ["method", "result"] as const,
    registers,
  });
  const hashSeconds = new Histogram({
    name: "latchkey_password_hash_duration_seconds",
    help: "Time of each argon2id (or imported bcrypt) computation, its wait for a thread included, by operation (hash, verify).",
    labelNames: ["operation"] as const,
    buckets: HASH_SECONDS,
    registers,
  });
  const mailsSent = new Counter({ name: "latchkey_mails_sent_total", help: "Mails handed to the mail server.", registers });
  const mailFailures = new Counter({
    name: "latchkey_mail_failures_total",
    help: "Failed mail attempts, by outcome: retry (tried again later) or given_up (the last attempt).",
    labelNames: ["outcome"] as const,
    registers,
  });
  const uploadBytes = new Counter({ name: "latchkey_upload_bytes_total", help: "Bytes of files stored by uploads.", registers });
  const downloadBytes = new Counter({
    name: "latchkey_download_bytes_total",
    help: "Bytes of files and image variants answered (the range asked for, or the whole file).",
    registers,
  });
  const transforms = new Counter({
    name: "latchkey_image_transform_cache_total",
    help: "Image transforms, by result: hit (an already made variant) or miss (made now).",
    labelNames: ["result"] as const,
    registers,
  });
  const blobErrors = new Counter({ name: "latchkey_blob_store_errors_total", help: "Failed operations of the file store (disk or S3).", registers });
  const databaseErrors = new Counter({
    name: "latchkey_database_errors_total",
    help: "Database errors that reached a request's error handling or a metrics scrape.",
    registers,
  });

  let lastBackup: Gauge | undefined;
  const sessions = createSessionsRepository(db);
  const mailQueue = createMailQueueRepository(db);
  /**
   * A gauge's query that fails is a database error, and the gauge is NaN for that scrape (not 0, which would read as
   * "no sessions"); the scrape itself still answers.
   */
  async function read(query: () => Promise<number>, gauge: { set(value: number): void }): Promise<void> {
    try {
      gauge.set(await query());
    } catch {
      databaseErrors.inc();
      gauge.set(Number.NaN);
    }
  }
  const activeSessions = new Gauge({ name: "latchkey_active_sessions", help: "Sessions neither revoked nor expired (read at each scrape).", registers });
  const mailQueueDepth = new Gauge({
    name: "latchkey_mail_queue_depth",
    help: "Mails waiting to be sent, being sent or due for a retry (read at each scrape).",
    registers,
  });

  return {
    observations: {
      signIn: (result) => signIns.inc({ result }),
      passwordlessSignIn: (method, result) => passwordlessSignIns.inc({ method, result }),
      passwordHash: (operation, seconds) => hashSeconds.observe({ operation }, seconds),
      mailSent: () => mailsSent.inc(),
      mailFailed: ({ gaveUp }) => mailFailures.inc({ outcome: gaveUp ? "given_up" : "retry" }),
    },
    storage: {
      uploaded: (bytes) => uploadBytes.inc(bytes),
      served: (bytes) => downloadBytes.inc(bytes),
      transform: (result) => transforms.inc({ result }),
      blobStoreError: () => blobErrors.inc(),
    },
    requests: {
      answered(facts, seconds) {
        const labels = { dialect: facts.dialect, route: facts.route, method: facts.method, status: String(facts.status) };
        requests.inc(labels);
        requestSeconds.observe(labels, seconds);
      },
      failed(error) {
        if (isDatabaseError(error)) databaseErrors.inc();
      },
    },
    mounts: dialectMounts(config),
    backupSucceeded(atMs) {
      // Registered with the first backup: before it, no sample at all rather than a 0 that reads as 1970.
      lastBackup ??= new Gauge({
        name: "latchkey_backup_last_success_timestamp_seconds",
        help: "When the last backup finished, Unix seconds (its age: time() - this).",
        registers,
      });
      lastBackup.set(atMs / 1000);
    },
    async scrape() {
      // Before the text is made (prom-client writes every series at once): a failed count shows in this scrape's errors.
      await Promise.all([read(() => sessions.countLive(clock.now()), activeSessions), read(() => mailQueue.countWaiting(), mailQueueDepth)]);
      return { body: await registry.metrics(), contentType: registry.contentType };
    },
  };
}
