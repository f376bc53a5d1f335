// GET /metrics (src/metrics.ts, src/metrics-route.ts, src/http/request-metrics.ts) over real HTTP, scraped and parsed
// as Prometheus parses its text format: after a sign-up, a login, a wrong password, a throttled login, an upload and
// a download, the matching series exist with the right labels and their values went up. Off by default (404); with
// METRICS_TOKEN, 401 without it or with a wrong one, and the token never shows in the server's output.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { queryDatabase } from "./support/backend.ts";
import { eventually } from "./support/eventually.ts";
import { call } from "./support/http.ts";
import { runLatchkey, startServer, type TestServer } from "./support/server.ts";
import { download, newUser, upload } from "./support/storage.ts";
import { encodeImage, quadrants } from "./support/images.ts";
import { startSmtp, type TestSmtp } from "./support/smtp.ts";
import { parseMetrics, valueOf, type Sample } from "./support/metrics.ts";
import { awayFromStepEdge, totpCode } from "./support/totp.ts";

const TOKEN = "metrics-token-0123456789abcdef";
const SCRAPER = { authorization: `Bearer ${TOKEN}` };

async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(`${url}/metrics`, { headers: SCRAPER });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toStartWith("text/plain");
  return parseMetrics(await response.text()).samples;
}

/**
 * A scrape once `ready` holds: a request is counted just after its answer is made (Elysia's after-response hook), so
 * the answer can reach the test a moment before its count does.
 */
function scrapeUntil(url: string, ready: (samples: Sample[]) => boolean): Promise<Sample[]> {
  return eventually(async () => {
    const samples = await scrape(url);
    return ready(samples) ? samples : null;
  }, { what: "the last request counted" });
}

const login = (url: string, email: string, password: string) =>
  call(url, "POST", "/auth/login", { json: { email, password, cookie: false } });

describe("with METRICS_ENABLED=true and METRICS_TOKEN", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ METRICS_ENABLED: "true", METRICS_TOKEN: TOKEN });
  });
  afterAll(() => server.stop());

  test("401 without the token, with a wrong one, with another scheme; 200 with it, in the text format with every series typed", async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${server.url}/metrics`, { headers: { authorization: "Bearer metrics-token-0123456789abcdeX" } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
    expect(await wrong.text()).not.toContain(TOKEN);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Basic ${TOKEN}` } })).status).toBe(401);
    const response = await fetch(`${server.url}/metrics`, { headers: SCRAPER });
    expect(response.status).toBe(200);
    const { types } = parseMetrics(await response.text());
    expect(Object.fromEntries(types)).toMatchObject({
      latchkey_http_requests_total: "counter",
      latchkey_http_request_duration_seconds: "histogram",
      latchkey_sign_ins_total: "counter",
      latchkey_active_sessions: "gauge",
      latchkey_password_hash_duration_seconds: "histogram",
      latchkey_mail_queue_depth: "gauge",
      latchkey_mails_sent_total: "counter",
      latchkey_mail_failures_total: "counter",
      latchkey_upload_bytes_total: "counter",
      latchkey_download_bytes_total: "counter",
      latchkey_image_transform_cache_total: "counter",
      latchkey_blob_store_errors_total: "counter",
      latchkey_database_errors_total: "counter",
    });
  });

  test("sign-up, login, wrong password and a throttled login: sign-ins by result, sessions, hashes and requests by route pattern", async () => {
    const before = await scrape(server.url);
    const email = `metrics-${crypto.randomUUID().slice(0, 8)}@example.com`;
    expect((await call(server.url, "POST", "/auth/register", { json: { email, password: "right-password", cookie: false } })).status).toBe(200);
    expect((await login(server.url, email, "right-password")).status).toBe(200);
    expect((await login(server.url, email, "wrong-password")).status).toBe(401);
    // Five wrong passwords from one address stop it (RATE_LIMIT_MAX_PER_ACCOUNT_AND_IP): the sixth try is refused.
    const target = `throttled-${crypto.randomUUID().slice(0, 8)}@example.com`;
    for (let attempt = 1; attempt <= 5; attempt++) expect((await login(server.url, target, `wrong-${attempt}`)).status).toBe(401);
    expect((await login(server.url, target, "wrong-6")).status).toBe(429);
    const throttled = { dialect: "hbp", route: "/auth/login", method: "POST", status: "429" };
    const counted = valueOf(before, "latchkey_http_requests_total", throttled) + 1;
    const after = await scrapeUntil(server.url, (samples) => valueOf(samples, "latchkey_http_requests_total", throttled) === counted);

    const grew = (name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(grew("latchkey_sign_ins_total", { result: "success" })).toBe(1);
    expect(grew("latchkey_sign_ins_total", { result: "wrong_password" })).toBe(6);
    expect(grew("latchkey_sign_ins_total", { result: "throttled" })).toBe(1);
    expect(grew("latchkey_sign_ins_total", { result: "second_factor" })).toBe(0);
    // The sign-up's session and the login's.
    expect(grew("latchkey_active_sessions")).toBe(2);
    // The sign-up's hash; the login's, the wrong password's and the five wrong ones' checks (the throttled one is refused before).
    expect(grew("latchkey_password_hash_duration_seconds_count", { operation: "hash" })).toBe(1);
    expect(grew("latchkey_password_hash_duration_seconds_count", { operation: "verify" })).toBe(7);

    const route = (status: string) => ({ dialect: "hbp", route: "/auth/login", method: "POST", status });
    expect(grew("latchkey_http_requests_total", route("200"))).toBe(1);
    expect(grew("latchkey_http_requests_total", route("401"))).toBe(6);
    expect(grew("latchkey_http_requests_total", route("429"))).toBe(1);
    expect(grew("latchkey_http_requests_total", { dialect: "hbp", route: "/auth/register", method: "POST", status: "200" })).toBe(1);
    expect(grew("latchkey_http_request_duration_seconds_count", route("401"))).toBe(6);
    expect(grew("latchkey_http_request_duration_seconds_bucket", { ...route("401"), le: "+Inf" })).toBe(6);
    expect(valueOf(after, "latchkey_http_request_duration_seconds_sum", route("401"))).toBeGreaterThan(0);
    // The scrapes themselves: the service's own route.
    expect(valueOf(after, "latchkey_http_requests_total", { dialect: "service", route: "/metrics", method: "GET", status: "200" })).toBeGreaterThanOrEqual(1);
  });

  test("an upload and a download: bytes both ways, counted under the route pattern, never the file's path", async () => {
    const alice = await newUser(server.url);
    const key = `user/${alice.id}/report-${crypto.randomUUID()}.bin`;
    const content = new Uint8Array(12_345).fill(7);
    const before = await scrape(server.url);
    expect((await upload(server.url, key, content, { headers: alice.auth })).status).toBe(200);
    const got = await download(server.url, `/storage/o/${key}`, alice.auth);
    expect(got.status).toBe(200);
    expect(got.bytes.length).toBe(content.length);
    const ranged = await download(server.url, `/storage/o/${key}`, { ...alice.auth, range: "bytes=0-99" });
    expect(ranged.status).toBe(206);
    const partial = { dialect: "hbp", route: "/storage/o/*", method: "GET", status: "206" };
    const counted = valueOf(before, "latchkey_http_requests_total", partial) + 1;
    await scrapeUntil(server.url, (samples) => valueOf(samples, "latchkey_http_requests_total", partial) === counted);
    const response = await fetch(`${server.url}/metrics`, { headers: SCRAPER });
    const text = await response.text();
    const after = parseMetrics(text).samples;

    const grew = (name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(grew("latchkey_upload_bytes_total")).toBe(content.length);
    expect(grew("latchkey_download_bytes_total")).toBe(content.length + 100);
    const storageRoutes = after.filter((sample) => sample.name === "latchkey_http_requests_total" && sample.labels.route!.startsWith("/storage"));
    expect(storageRoutes.length).toBeGreaterThan(0);
    for (const sample of storageRoutes) expect(sample.labels.dialect).toBe("hbp");
    const patterns = new Set(storageRoutes.map((sample) => `${sample.labels.method} ${sample.labels.route} ${sample.labels.status}`));
    expect(patterns).toContain("POST /storage/o/* 200");
    expect(patterns).toContain("GET /storage/o/* 200");
    expect(patterns).toContain("GET /storage/o/* 206");
    expect(text).not.toContain(alice.id);
    expect(text).not.toContain("report-");
  });

  test("GET /healthz is counted like every route (with metrics on, Elysia answers it, not Bun's route table)", async () => {
    const healthz = { dialect: "hbp", route: "/healthz", method: "GET", status: "200" };
    const before = await scrape(server.url);
    for (let i = 0; i < 3; i++) expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const counted = valueOf(before, "latchkey_http_requests_total", healthz) + 3;
    const after = await scrapeUntil(server.url, (samples) => valueOf(samples, "latchkey_http_requests_total", healthz) >= counted);
    expect(valueOf(after, "latchkey_http_requests_total", healthz)).toBe(counted);
  });

  test("paths no route answers are one `unmatched` series, whatever the path", async () => {
    const before = await scrape(server.url);
    for (const path of ["/no-such-path", "/wp-login.php", `/probe-${crypto.randomUUID()}`]) {
      expect((await fetch(`${server.url}${path}`)).status).toBe(404);
    }
    const unmatched = { dialect: "none", route: "unmatched", method: "GET", status: "404" };
    const counted = valueOf(before, "latchkey_http_requests_total", unmatched) + 3;
    const after = await scrapeUntil(server.url, (samples) => valueOf(samples, "latchkey_http_requests_total", unmatched) >= counted);
    expect(valueOf(after, "latchkey_http_requests_total", unmatched)).toBe(counted);
    expect(after.some((sample) => sample.labels.route?.includes("probe-") || sample.labels.route?.includes("wp-login"))).toBe(false);
  });

  test("a method outside the usual ones is `other`, whatever the client sent", async () => {
    // Methods Bun knows (it reads a token it does not know as GET) but no route of latchkey's answers.
    for (const method of ["PROPFIND", "MKCOL", "PURGE"]) {
      expect((await fetch(`${server.url}/nowhere`, { method })).status).toBe(404);
    }
    const other = { dialect: "none", route: "unmatched", method: "other", status: "404" };
    const after = await scrapeUntil(server.url, (samples) => valueOf(samples, "latchkey_http_requests_total", other) === 3);
    expect(after.filter((sample) => sample.name === "latchkey_http_requests_total" && !["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"].includes(sample.labels.method!))).toEqual([]);
  });

  test("the token never shows in the server's output", () => {
    expect(server.output()).not.toContain(TOKEN);
  });
});

describe("second factors, mails and image transforms", () => {
  let server: TestServer;
  let smtp: TestSmtp;
  beforeAll(async () => {
    smtp = await startSmtp();
    server = await startServer({ ...smtp.env, METRICS_ENABLED: "true", METRICS_TOKEN: TOKEN, LOST_PASSWORD_ENABLED: "true", MAIL_RETRY_DELAY_SECONDS: "1" });
  });
  afterAll(async () => {
    await server.stop();
    await smtp.close();
  });

  test("a password login of an account with TOTP counts as second_factor, not success", async () => {
    const email = `mfa-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const registered = await call(server.url, "POST", "/auth/register", { json: { email, password: "password-123", cookie: false } });
    const bearer = { authorization: `Bearer ${registered.body.jwt_token}` };
    const generated = await call(server.url, "POST", "/auth/mfa/generate", { headers: bearer });
    await awayFromStepEdge();
    expect((await call(server.url, "POST", "/auth/mfa/enable", { headers: bearer, json: { code: totpCode(generated.body.otp_secret, -1) } })).status).toBe(204);
    const before = await scrape(server.url);
    const answer = await login(server.url, email, "password-123");
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ mfa: true, ticket: expect.any(String) });
    const after = await scrape(server.url);
    expect(valueOf(after, "latchkey_sign_ins_total", { result: "second_factor" }) - valueOf(before, "latchkey_sign_ins_total", { result: "second_factor" })).toBe(1);
    expect(valueOf(after, "latchkey_sign_ins_total", { result: "success" }) - valueOf(before, "latchkey_sign_ins_total", { result: "success" })).toBe(0);
  });

  test("a mail refused once, then sent: one failure to retry, one mail sent, the queue empty again", async () => {
    const email = `mail-${crypto.randomUUID().slice(0, 8)}@example.com`;
    await call(server.url, "POST", "/auth/register", { json: { email, password: "password-123", cookie: false } });
    const before = await scrape(server.url);
    smtp.refuseNext(1);
    expect((await call(server.url, "POST", "/auth/change-password/request", { json: { email } })).status).toBe(204);
    await smtp.waitFor(email);
    const sent = valueOf(before, "latchkey_mails_sent_total") + 1;
    const after = await scrapeUntil(server.url, (samples) => valueOf(samples, "latchkey_mails_sent_total") === sent);
    expect(valueOf(after, "latchkey_mail_failures_total", { outcome: "retry" }) - valueOf(before, "latchkey_mail_failures_total", { outcome: "retry" })).toBe(1);
    expect(valueOf(after, "latchkey_mail_failures_total", { outcome: "given_up" })).toBe(0);
    await scrapeUntil(server.url, (samples) => valueOf(samples, "latchkey_mail_queue_depth") === 0);
  });

  test("the first transform of an image is a cache miss, the same transform again a hit", async () => {
    const alice = await newUser(server.url);
    const key = `user/${alice.id}/picture.png`;
    expect((await upload(server.url, key, encodeImage("png", quadrants(64, 64), 64, 64), { headers: alice.auth, type: "image/png" })).status).toBe(200);
    const before = await scrape(server.url);
    for (let time = 0; time < 2; time++) expect((await download(server.url, `/storage/o/${key}?w=32`, alice.auth)).status).toBe(200);
    const after = await scrape(server.url);
    const grew = (result: string) =>
      valueOf(after, "latchkey_image_transform_cache_total", { result }) - valueOf(before, "latchkey_image_transform_cache_total", { result });
    expect(grew("miss")).toBe(1);
    expect(grew("hit")).toBe(1);
    expect(valueOf(after, "latchkey_download_bytes_total")).toBeGreaterThan(valueOf(before, "latchkey_download_bytes_total"));
  });
});

describe("a database that fails", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ METRICS_ENABLED: "true", METRICS_TOKEN: TOKEN });
  });
  afterAll(() => server.stop());

  test("counted in latchkey_database_errors_total; the sessions gauge is NaN, not 0, and the scrape still answers", async () => {
    const email = `db-${crypto.randomUUID().slice(0, 8)}@example.com`;
    expect((await call(server.url, "POST", "/auth/register", { json: { email, password: "password-123", cookie: false } })).status).toBe(200);
    const before = await scrape(server.url);
    expect(valueOf(before, "latchkey_active_sessions")).toBe(1);
    expect(valueOf(before, "latchkey_database_errors_total")).toBe(0);
    // Behind the server's back: a login's session and the scrape's count both fail on the missing table.
    await queryDatabase(server.dataDir, "DROP TABLE sessions");
    expect((await login(server.url, email, "password-123")).status).toBe(500);
    const after = await scrape(server.url);
    expect(valueOf(after, "latchkey_database_errors_total")).toBe(2);
    expect(valueOf(after, "latchkey_active_sessions")).toBeNaN();
  });
});

describe("off by default", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.stop());

  test("GET /metrics is 404, and it is not in the OpenAPI document", async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    const document = await call(server.url, "GET", "/openapi/json");
    expect(Object.keys(document.body.paths)).not.toContain("/metrics");
  });
});

describe("METRICS_ENABLED=true without a token", () => {
  test("open to whoever reaches it; a METRICS_TOKEN shorter than 16 characters stops start-up, naming it", async () => {
    const server = await startServer({ METRICS_ENABLED: "true" });
    try {
      const response = await fetch(`${server.url}/metrics`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain("latchkey_http_requests_total");
    } finally {
      await server.stop();
    }
    const dir = mkdtempSync(join(tmpdir(), "latchkey-metrics-"));
    const refused = await runLatchkey(["serve"], { DATA_DIR: dir, METRICS_ENABLED: "true", METRICS_TOKEN: "tooShortTkn" }, dir);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("METRICS_TOKEN: must be at least 16 characters");
    expect(refused.stderr).not.toContain("tooShortTkn");
  });
});
