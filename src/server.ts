// Builds latchkey: opens the data directory, migrates, builds the core, mounts the dialects.
// Routes: HBP auth (src/apis/hbp/routes.ts), health (src/apis/hbp/health.ts), docs (src/docs/routes.ts), Faroe (src/apis/faroe/routes.ts).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Elysia, type InternalRoute } from "elysia";
import { createCookieJar } from "./apis/hbp/cookies.ts";
import { hbpErrorResponse } from "./apis/hbp/error-handler.ts";
import { hbpHealthRoutes, healthzAnswer } from "./apis/hbp/health.ts";
import { hbpAuthRoutes, hbpProviderFormRoutes } from "./apis/hbp/routes.ts";
import { hbpStorageRoutes } from "./apis/hbp/storage/routes.ts";
import { faroeRoutes } from "./apis/faroe/routes.ts";
import { lncrawlRoutes } from "./apis/lncrawl/routes.ts";
import { wolfpalRoutes } from "./apis/wolfpal/routes.ts";
import { consoleApiRoutes } from "./apis/console/routes.ts";
import { consolePageRoutes } from "./apis/console/page.ts";
import type { ServerFacts } from "./apis/console/context.ts";
import { settingRows, settingWarnings } from "./cli/config-check.ts";
import type { Config } from "./config.ts";
import { systemClock, type Clock } from "./lib/clock.ts";
import { createCore, type Core } from "./core/index.ts";
import { consoleLogger, createLogger, type Logger } from "./lib/logger.ts";
import { systemRandom, type Random } from "./lib/random.ts";
import { ensureAdmin } from "./core/accounts/admin-bootstrap.ts";
import { purgeExpired } from "./core/housekeeping.ts";
import { createHousekeepingRepository } from "./db/repositories/housekeeping.ts";
import { createGeneratedSecretsRepository } from "./db/repositories/generated-secrets.ts";
import { createSecurityEventsRepository } from "./db/repositories/security-events.ts";
import { createSecurityEvents } from "./core/security-events.ts";
import { createMailer } from "./core/mail/mailer.ts";
import { outboxTransport, smtpTransport } from "./core/mail/transport.ts";
import { loadGeneratedSecret, type GeneratedSecret } from "./core/sessions/generated-secrets.ts";
import { loadSigningKeys, type SigningKeys } from "./core/sessions/signing-keys.ts";
import { corsHandling, corsWarning } from "./cors.ts";
import { writePrivateFile } from "./data-dir.ts";
import { openDatabase } from "./db/client.ts";
import { docsRoutes } from "./docs/routes.ts";
import { readinessRoutes } from "./readiness.ts";
import { httpClient } from "./http/client-ip.ts";
import { accessLog, answeredAtTheEdge } from "./http/access-log.ts";
import { answerAfterBody, type RequestHandler } from "./http/unread-body.ts";
import { publicUrlResolver, type PublicUrlResolver } from "./public-url.ts";
import { VERSION } from "./version.ts";
import { loadRules, maxRequestBodyBytes, openFileStorage } from "./storage/index.ts";
import { metricsRoutes } from "./metrics-route.ts";
import { requestMetrics } from "./http/request-metrics.ts";
import { createBackupStatus, type BackupStatus } from "./backup-status.ts";
import { startBackupSchedule } from "./backup-schedule.ts";
import { createBackupAdministration } from "./backup-administration.ts";
import { createMailHogStore, serveMailHogApi } from "./mailhog-api.ts";
import type { Storage } from "./storage/storage.ts";

const HOUSEKEEPING_INTERVAL_MS = 60 * 60 * 1000;
/** How long a stop waits for requests under way (docker stop waits 10 s before SIGKILL, systemd 90 s). */
const SHUTDOWN_GRACE_MS = 8_000;

export interface DataPaths {
  database: string;
  storage: string;
  outbox: string;
  /** The password of lncrawl's generated `admin` account, for the operator (core/accounts/admin-bootstrap.ts). */
  adminPassword: string;
  /**
   * Where latchkey before 0.2 kept a generated secret (core/sessions/generated-secrets.ts), by its name: keys/jwt-hmac.key,
   * keys/jwt-<alg>.pem (PKCS#8 PEM), keys/cookie.secret. Read once, to move it into the database.
   */
  legacySecretFile(name: string): string;
}

export function dataPaths(dataDir: string): DataPaths {
  return {
    database: join(dataDir, "latchkey.db"),
    storage: join(dataDir, "storage"),
    outbox: join(dataDir, "outbox"),
    adminPassword: join(dataDir, "admin-password.txt"),
    legacySecretFile: (name) =>
      join(dataDir, "keys", name === "cookie" ? "cookie.secret" : name === "jwt-hmac" ? "jwt-hmac.key" : `${name}.pem`),
  };
}

export interface Latchkey {
  app: Elysia;
  core: Core;
  /** PUBLIC_URL, completed by serve() once the port is bound. */
  address: PublicUrlResolver;
  /** When the last scheduled backup succeeded (BACKUP_SCHEDULE), for /metrics. */
  backups: BackupStatus;
  /** The file storage, for what the server does itself at start (--seed, src/seed.ts). */
  storage: Storage;
  close(): Promise<void>;
}

/** Builds the app; a key that cannot be used (JWT_KEY, JWT_PREVIOUS_KEY) is a ConfigError, raised before the database opens when JWT_KEY is set. */
export async function createLatchkey(
  config: Config,
  options: {
    logger?: Logger;
    clock?: Clock;
    random?: Random;
    /** What `latchkey config check` warns about in this environment (main.ts); without it, the settings' own warnings. */
    settingWarnings?: readonly string[];
  } = {},
): Promise<Latchkey> {
  const logger = options.logger ?? consoleLogger;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? systemRandom;
  const address = publicUrlResolver(config.server.publicUrl);
  const paths = dataPaths(config.server.dataDir);
  mkdirSync(paths.storage, { recursive: true });
  const noGeneratedKey = () => Promise.reject(new Error("JWT_KEY is set: no key is generated"));
  // JWT_KEY (and JWT_PREVIOUS_KEY) are checked before anything is opened; a generated key needs the database first.
  const configuredKeys: SigningKeys | null =
    config.jwt.key === null ? null : await loadSigningKeys({ config: config.jwt, generated: noGeneratedKey, random });

  // STORAGE_RULES problems are configuration errors, reported before anything is opened.
  const storageRules = loadRules(config.storage.rulesFile);

  const database = await openDatabase({ url: config.database.url, sqliteFile: paths.database }, { serving: true, sqliteCacheMiB: config.database.sqliteCacheMiB });
  const applied = await database.migrate();
  if (applied.length > 0) logger.info("database migrated", { applied: applied.join(","), database: database.description });

  const generated = (secret: Omit<GeneratedSecret, "legacyFile">) =>
    loadGeneratedSecret(createGeneratedSecretsRepository(database.db), { ...secret, legacyFile: paths.legacySecretFile(secret.name) }, logger);
  const signingKeys = configuredKeys ?? (await loadSigningKeys({ config: config.jwt, generated, random }));
  const cookieSecret =
    config.cookies.secret ??
    (await generated({ name: "cookie", what: "cookie signing secret", create: () => random.token(32) })).value;
  const delivering = config.mail.smtp ? smtpTransport(config.mail.smtp) : outboxTransport(paths.outbox, random);
  // MAILHOG_API_PORT: every mail sent is also kept in memory for the MailHog-compatible API (src/mailhog-api.ts).
  const mailhog = config.mailhog.apiPort === null ? null : createMailHogStore();
  const transport = mailhog ? mailhog.recording(delivering) : delivering;
  const mailer = createMailer({ config: config.mail, transport, logger });

  // METRICS_ENABLED: the layers report to it through their ports (src/metrics.ts); GET /metrics serves it.
  // Loaded only when switched on (off by default): prom-client is then no part of a start (bench/README.md, "Idle RSS").
  const metrics = config.metrics.enabled ? (await import("./metrics.ts")).createMetrics({ config, db: database.db, clock }) : null;
  // Storage's uses of the admin secret go to the security log (and its table) in the same shape as core's events.
  const events = createSecurityEvents(logger, { events: createSecurityEventsRepository(database.db), clock, random });
  const files = openFileStorage({
    settings: config.storage,
    adminSecret: config.auth.adminSecret,
    db: database.db,
    root: paths.storage,
    rules: storageRules,
    clock,
    random,
    logger,
    events,
    observations: metrics?.storage,
  });
  // Deleting an account deletes its files: core calls storage through its OwnedData port.
  const core = createCore({
    config,
    db: database.db,
    clock,
    random,
    publicUrl: address.publicUrl,
    logger,
    mailer,
    signingKeys,
    ownedData: files.ownedFiles,
    observations: metrics?.observations,
    cookieSecret,
  });
  const cookies = createCookieJar({
    config: config.cookies,
    secret: cookieSecret,
    maxAgeSeconds: config.jwt.refreshExpiresInMinutes * 60,
    clock,
  });
  // The console answers no other origin: its session cookie is SameSite=Strict, and a page of a sibling subdomain
  // (same site) must not read its answers (the CSRF token) with the cookie either.
  const cors = corsHandling(config.server.corsOrigins, { closedPrefixes: ["/console"] });
  const corsRisk = corsWarning({ corsOrigins: config.server.corsOrigins, sameSite: config.cookies.sameSite });
  if (corsRisk) logger.warn(corsRisk);
  // normalize: false makes `additionalProperties: false` schemas refuse unknown fields (HBP answers 400) instead of
  // Elysia silently dropping them. standardHostname: false makes the router find the path after "http://" + any host:
  // by default it skips 11 characters, so with a Host shorter than 4 (`db`, `api` behind a proxy) every route with a
  // parameter or a `*` (storage, Faroe's ids) answered 404. Elysia reads both settings from the root instance only.
  // GET /healthz from Bun's route table, past Elysia's context, compiled handler and answer mapping, with the edge's
  // id, CORS headers and drain all the same (answeredAtTheEdge). Only while nothing else sees every request: an
  // access line (LOG_REQUESTS) or a count (METRICS_ENABLED) must see /healthz too, so then Elysia answers it.
  // Every request is counted, these too: while requests keep coming, the purge yields to them (src/db/purge-pace.ts).
  let requestsStarted = 0;
  const edgeHealthz = answeredAtTheEdge(cors.answerHeaders, healthzAnswer);
  const edgeRoutes = !config.log.requests && metrics === null
    ? { "/healthz": { GET: (request: Request) => (requestsStarted++, edgeHealthz(request)) } }
    : null;
  const app = new Elysia({ normalize: false, handler: { standardHostname: false }, ...(edgeRoutes ? { serve: { routes: edgeRoutes } } : {}) })
    // Every answer, of every dialect and of no route at all: an unread request body is drained before it goes out.
    // Counted too (requestsStarted, above).
    .wrap((handle, request) => {
      requestsStarted++;
      return answerAfterBody(handle as unknown as RequestHandler, request);
    })
    // X-Request-Id (and CORS's headers) on every answer, X-Request-Id on the lines logged while it is made, and with
    // LOG_REQUESTS one access line per request, of every dialect (outside the drain above).
    .use(accessLog({ logger, lines: config.log.requests, clientIp: (request) => clientOf(request).ip, answerHeaders: cors.answerHeaders }))
    // Before every route, so that its hooks time and count each one, of every dialect (src/http/request-metrics.ts).
    .use(metrics ? requestMetrics(metrics.requests, metrics.mounts) : new Elysia({ name: "request-metrics:off" }))
    .use(docsRoutes({ version: VERSION, routes: (): readonly InternalRoute[] => app.routes, publicUrl: address.publicUrl }))
    .use(hbpHealthRoutes(VERSION));
  // The peer's address is asked of the listening server (app.server) when a handler needs it. Handlers do not take
  // `server` from Elysia's context: a hook that names it makes Elysia define a getter on every request's context,
  // /healthz included.
  const clientOf = httpClient(config.rateLimits.trustedProxies, { requestIP: (request) => app.server?.requestIP(request) ?? null });
  const hbp = { core, config, cookies, clientOf };
  // A bucket that cannot be reached (wrong endpoint, credentials or name) stops start-up, naming STORAGE_URL.
  if (config.storage.enabled) await files.check();
  if (config.storage.s3) logger.info("files are kept in S3", { at: files.location });
  app.use(readinessRoutes({ db: database.db, files, logger }));
  if (metrics) app.use(metricsRoutes({ metrics, token: config.metrics.token }));

  // The purge under way, if any: close() waits for it, so a stop never cuts one short (on PostgreSQL a purge is
  // several statements; stopped between them it would leave part of the expired rows for the next hour).
  let purging: Promise<unknown> = Promise.resolve();
  const expiredRows = createHousekeepingRepository(database.db, { requestsStarted: () => requestsStarted });
  const housekeeping = () => {
    purging = purging.then(async () => {
      const started = performance.now();
      const before = expiredRows.slicing();
      try {
        const rows = await purgeExpired({
          rows: expiredRows,
          clock,
          retention: { securityEventsDays: config.securityEvents.keepDays, consoleIdleMinutes: config.console.idleMinutes },
        });
        // How long a purge takes is what an operator (and bench/scale.ts) needs to see to size the data it runs on.
        // Its slices (SQLite), and how many of them yielded to requests being served (src/db/purge-pace.ts).
        const after = expiredRows.slicing();
        const slicing = { slices: after.slices - before.slices, yielded: after.yielded - before.yielded };
        if (rows > 0) logger.info("expired rows purged", { rows, ms: Math.round(performance.now() - started), ...slicing });
      } catch (error) {
        logger.error("housekeeping failed", { error });
      }
    });
  };
  housekeeping();
  const housekeepingTimer = setInterval(housekeeping, HOUSEKEEPING_INTERVAL_MS);
  housekeepingTimer.unref();

  const backups = createBackupStatus({ onSuccess: (finishedAtMs) => metrics?.backupSucceeded(finishedAtMs) });
  const backupSchedule = startBackupSchedule({ config, status: backups, logger, clock });

  if (config.auth.enabled) app.use(hbpAuthRoutes(hbp)).use(hbpProviderFormRoutes(hbp));
  // Always mounted: with STORAGE_ENABLED=false every route answers 404 saying how to turn it on (decision 5).
  app.use(hbpStorageRoutes({ ...hbp, storage: files.storage }));
  // The administrator account: lncrawl's (ADMIN_EMAIL, or a generated `admin`), or with ADMIN_EMAIL alone the admin
  // console's. Under a lock held across instances: two starting at once on an empty database would both find no
  // `admin`, and the second insert would fail on users_username_unique and stop that instance.
  if (config.lncrawl.enabled || config.lncrawl.adminLogin !== null) {
    await database.db.withLock("admin-bootstrap", () =>
      ensureAdmin({
        users: core.users,
        logger,
        random,
        login: config.lncrawl.adminLogin,
        password: config.lncrawl.adminPassword,
        keepGeneratedPassword: (password) => {
          writePrivateFile(paths.adminPassword, `${password}\n`);
          return paths.adminPassword;
        },
      }),
    );
  }
  if (config.lncrawl.enabled) app.use(lncrawlRoutes({ core, config, clientOf }));
  if (config.wolfpal.enabled) app.use(wolfpalRoutes({ core, config, clientOf }));
  // CONSOLE_ENABLED=false: no route under /console at all (404).
  if (config.console.enabled) {
    const warnings = options.settingWarnings ?? settingWarnings({}, config);
    const facts: ServerFacts = {
      version: VERSION,
      backups: () => ({
        lastSuccessAt: backups.lastSuccessAtMs(),
        lastFailureAt: backups.lastFailureAtMs(),
        schedule: config.backup.cron ?? (config.backup.intervalSeconds === null ? null : `every ${config.backup.intervalSeconds} s`),
      }),
      backupStore: createBackupAdministration({ config, status: backups, clock }),
      settings: () => settingRows(config),
      warnings: () => warnings,
    };
    app.use(consolePageRoutes()).use(consoleApiRoutes({ core, config, clientOf, facts, files: files.administration }));
  }
  // Faroe exists only with its credential: without one, every Faroe path is an unknown path (404).
  if (config.faroe.credential !== null) app.use(faroeRoutes({ core, config, credential: config.faroe.credential }));
  // Whatever no dialect answers (unknown paths, errors outside a dialect) gets HBP's shape: it is the default dialect.
  // Registered last: Elysia runs error hooks in registration order, and each dialect's own must come first.
  app.onError({ as: "global" }, ({ code, error }) => hbpErrorResponse(code, error, logger));
  // After that hook, so that an OPTIONS that is no preflight gets its 404 (src/cors.ts).
  app.use(cors.preflight);
  const mailhogApi = mailhog && config.mailhog.apiPort !== null ? serveMailHogApi(mailhog, config.mailhog.apiPort) : null;
  if (mailhogApi) logger.info(`MailHog API on ${mailhogApi.url}`);

  return {
    app: app as unknown as Elysia,
    core,
    address,
    backups,
    storage: files.storage,
    async close() {
      clearInterval(housekeepingTimer);
      await backupSchedule?.stop();
      await purging;
      files.close();
      await core.mailWorker.stop();
      mailhogApi?.stop();
      // Security events of the last requests may still be on their way to the database.
      await Promise.all([events.settled(), core.events.settled()]);
      await database.close();
    },
  };
}

/** HOST:PORT as a URL writes it: an IPv6 address in brackets. */
function hostAndPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * The address is taken by another process. Elysia's Bun adapter listens with SO_REUSEPORT, which lets a second
 * latchkey bind the same port silently and the kernel then splits requests between two servers (two databases).
 */
export class AddressInUseError extends Error {
  constructor(address: string) {
    super(`${address} is already in use (another latchkey, or another server, listens there): stop it, or set HOST/PORT`);
  }
}

/** Starts listening; the URL names the address actually bound. Throws AddressInUseError when it is taken. */
export function serve(latchkey: Latchkey, config: Config, logger: Logger = consoleLogger): { url: string; stop(): Promise<void> } {
  try {
    // Uploads stream up to MAX_UPLOAD_SIZE; every other route keeps its own, smaller limit.
    latchkey.app.listen({
      hostname: config.server.host,
      port: config.server.port,
      maxRequestBodySize: maxRequestBodyBytes(config.storage),
      // Elysia's default is true: a second server on the port would start and share its requests (AddressInUseError).
      reusePort: false,
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === "EADDRINUSE") throw new AddressInUseError(hostAndPort(config.server.host, config.server.port));
    throw error;
  }
  const server = latchkey.app.server!;
  // 0.0.0.0 and :: are printed as they are (reachable on Linux as such), so the line says what is exposed.
  const url = `http://${hostAndPort(config.server.host, server.port!)}`;
  latchkey.address.listeningOn(server.port!);
  // Only now: mailed links are made from PUBLIC_URL, which a start on PORT=0 has just learnt.
  latchkey.core.mailWorker.start();
  // Written whatever LOG_LEVEL is: a CI harness reads the URL of a PORT=0 start from it (`url` in a JSON line).
  const startLine = logger.isEnabled?.("info") !== false ? logger : createLogger({ ...config.log, level: "info" });
  startLine.info(`latchkey ${VERSION} listening on ${url}`, { url, data: config.server.dataDir, public_url: latchkey.address.publicUrl() });
  return {
    url,
    async stop() {
      // Requests under way get SHUTDOWN_GRACE_MS to finish; then their connections are closed. Without a bound, one
      // client trickling an upload (or never finishing it) kept a SIGTERM from stopping the server at all.
      const server = latchkey.app.server;
      const cutOff = setTimeout(() => void server?.stop(true), SHUTDOWN_GRACE_MS);
      try {
        await latchkey.app.stop();
      } finally {
        clearTimeout(cutOff);
      }
      await latchkey.close();
    },
  };
}
