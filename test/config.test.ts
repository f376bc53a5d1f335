// Settings: defaults, parsing, and start-up refusing bad values with a message that names the variable.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { ConfigError } from "../src/lib/errors.ts";
import { journalTags } from "../src/db/migrations.ts";
import { ON_DATA_DIR, queryDatabase } from "./support/backend.ts";
import { call } from "./support/http.ts";
import { runLatchkey, startServer } from "./support/server.ts";

describe("loadConfig", () => {
  test("an empty environment gives HBP's defaults (and latchkey's where its decisions differ)", () => {
    const config = loadConfig({}, { cwd: "/srv/app" });
    expect(config.server).toMatchObject({ port: 3000, host: "0.0.0.0", dataDir: "/srv/app/data", publicUrl: "http://localhost:3000" });
    expect(config.auth).toMatchObject({
      enabled: true,
      autoActivateNewUsers: true,
      verifyEmails: false,
      allowUserSelfDelete: false,
      defaultUserRole: "user",
      defaultAllowedUserRoles: ["user"],
      allowedUserRoles: ["user"],
    });
    // latchkey's: NIST's minimum length rather than HBP's 3; registration open, as in HBP.
    expect(config.registration).toEqual({ enabled: true, allowedEmailDomains: [], minPasswordLength: 8 });
    expect(config.lncrawl.enabled).toBe(false);
    expect(config.wolfpal.enabled).toBe(false);
    expect(config.jwt).toMatchObject({
      key: null,
      algorithm: "HS512",
      claimsNamespace: "https://hasura.io/jwt/claims",
      expiresInMinutes: 15,
      refreshExpiresInMinutes: 43200,
    });
    expect(config.cookies).toEqual({ secret: null, secure: false, sameSite: "Lax" });
    expect(config.mail.smtp).toBeNull();
  });

  test("is frozen all the way down once loaded: a change after start-up throws (issue 24)", () => {
    const config = loadConfig({ CORS_ORIGINS: "https://app.example", SMTP_HOST: "mail.example.com" });
    const writable = config as unknown as { server: { publicUrl: string; corsOrigins: string[] }; mail: { smtp: { port: number } } };
    expect(() => (writable.server.publicUrl = "https://elsewhere.example")).toThrow(TypeError);
    expect(() => writable.server.corsOrigins.push("*")).toThrow(TypeError);
    expect(() => (writable.mail.smtp.port = 25)).toThrow(TypeError);
    expect(config.server.corsOrigins).toEqual(["https://app.example"]);
  });

  test("PUBLIC_URL unset with PORT=0 is left to the port latchkey binds (src/public-url.ts)", () => {
    expect(loadConfig({ PORT: "0" }).server.publicUrl).toBeNull();
    expect(loadConfig({ PORT: "0", PUBLIC_URL: "https://auth.example.com" }).server.publicUrl).toBe("https://auth.example.com");
    expect(loadConfig({ PORT: "8080" }).server.publicUrl).toBe("http://localhost:8080");
  });

  test("aliases, lists, booleans and unescaped PEM newlines", () => {
    const config = loadConfig({
      SERVER_URL: "https://auth.example.com/",
      VERIFY_EMAILS_ENABLE: "TRUE",
      DEFAULT_ALLOWED_USER_ROLES: "user, editor",
      ALLOWED_USER_ROLES: "user,editor,admin",
      COOKIE_SAME_SITE: "strict",
      JWT_KEY: "line-one-of-a-long-enough-key\\nline-two",
      SMTP_HOST: "mail.example.com",
      SMTP_PORT: "465",
    });
    expect(config.server.publicUrl).toBe("https://auth.example.com");
    expect(config.auth.verifyEmails).toBe(true);
    expect(config.auth.defaultAllowedUserRoles).toEqual(["user", "editor"]);
    expect(config.cookies.sameSite).toBe("Strict");
    expect(config.jwt.key).toBe("line-one-of-a-long-enough-key\nline-two");
    expect(config.mail.smtp).toMatchObject({ host: "mail.example.com", port: 465, secure: true });
  });

  test.each([
    ["PORT", { PORT: "http" }],
    ["PORT", { PORT: "70000" }],
    ["VERIFY_EMAILS", { VERIFY_EMAILS: "yes please" }],
    ["JWT_ALGORITHM", { JWT_ALGORITHM: "none" }],
    ["JWT_EXPIRES_IN", { JWT_EXPIRES_IN: "1.5" }],
    ["JWT_KEY", { JWT_KEY: "short" }],
    ["COOKIE_SAME_SITE", { COOKIE_SAME_SITE: "None" }],
    ["REDIRECT_URL_SUCCESS", { REDIRECT_URL_SUCCESS: "javascript:alert(1)" }],
    ["REDIRECT_URL_SUCCESS", { VERIFY_EMAILS: "true", AUTO_ACTIVATE_NEW_USERS: "false" }],
    ["DEFAULT_ALLOWED_USER_ROLES", { DEFAULT_USER_ROLE: "member", DEFAULT_ALLOWED_USER_ROLES: "user" }],
    ["ALLOWED_USER_ROLES", { ALLOWED_USER_ROLES: "admin" }],
    ["MIN_PASSWORD_LENGTH", { MIN_PASSWORD_LENGTH: "0" }],
  ])("%s is refused in %j", (name, env) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.some((problem) => problem.startsWith(`${name}:`))).toBe(true);
  });

  test.each([
    [{ LNCRAWL_ENABLED: "true", LNCRAWL_PREFIX: "/auth" }, "LNCRAWL_PREFIX"],
    [{ LNCRAWL_ENABLED: "true", LNCRAWL_PREFIX: "/auth/lncrawl" }, "LNCRAWL_PREFIX"],
    [{ LNCRAWL_ENABLED: "true", FAROE_CREDENTIAL: "faroe-credential-0123", FAROE_PREFIX: "/api/auth" }, "LNCRAWL_PREFIX"],
    [{ LNCRAWL_ENABLED: "true", LNCRAWL_PREFIX: "/healthz" }, "LNCRAWL_PREFIX"],
    [{ WOLFPAL_ENABLED: "true", WOLFPAL_PREFIX: "/auth" }, "WOLFPAL_PREFIX"],
  ])("two APIs on the same routes are refused: %j", (env, name) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(`${name}: .* overlaps`));
  });

  test("a moved API no longer conflicts", () => {
    expect(loadConfig({ LNCRAWL_ENABLED: "true", LNCRAWL_PREFIX: "/auth-lncrawl", AUTH_ENABLED: "true" }).lncrawl.prefix).toBe("/auth-lncrawl");
    expect(loadConfig({ LNCRAWL_ENABLED: "true", LNCRAWL_PREFIX: "/auth", AUTH_ENABLED: "false" }).lncrawl.prefix).toBe("/auth");
  });

  test("SQLITE_CACHE_MB: 2 MiB by default (about SQLite's own), bounded", () => {
    expect(loadConfig({}).database.sqliteCacheMiB).toBe(2);
    expect(loadConfig({ SQLITE_CACHE_MB: "256" }).database.sqliteCacheMiB).toBe(256);
    expect(() => loadConfig({ SQLITE_CACHE_MB: "1" })).toThrow(/SQLITE_CACHE_MB/);
    expect(() => loadConfig({ SQLITE_CACHE_MB: "lots" })).toThrow(/SQLITE_CACHE_MB/);
  });

  test("every problem is reported at once", () => {
    expect(() => loadConfig({ PORT: "x", JWT_ALGORITHM: "x" })).toThrow(/PORT:[\s\S]*JWT_ALGORITHM:/);
  });
});

describe("start-up", () => {
  test("a bad value stops start-up with exit code 2 and a message naming the variable", async () => {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-bad-"));
    const result = await runLatchkey(["serve"], { DATA_DIR: dir, JWT_ALGORITHM: "RS1024" }, dir);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("JWT_ALGORITHM: expected one of HS256, HS384, HS512");
    expect(existsSync(join(dir, "latchkey.db"))).toBe(false);
  });

  test.each([
    ["mysql://u:p@db/latchkey", '"mysql:" is not supported, only postgres:'],
    ["postgres://db.internal", "needs a host and a database name"],
    ["not a url", "not a URL"],
  ])("DATABASE_URL=%p stops start-up naming it", async (url, message) => {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-dburl-"));
    const result = await runLatchkey(["serve"], { DATA_DIR: dir, DATABASE_URL: url }, dir);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`DATABASE_URL: ${message}`);
  });

  test("a PostgreSQL server that cannot be reached stops serve, migrate and the CLI with exit 2, without the password", async () => {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-dbdown-"));
    // Port 1 on loopback: nothing listens there.
    const env = { DATA_DIR: dir, DATABASE_URL: "postgres://latchkey:s3cret-pass@127.0.0.1:1/latchkey" };
    for (const args of [["serve"], ["migrate"], ["user", "list"], ["export", join(dir, "out.jsonl")]]) {
      const result = await runLatchkey(args, env, dir);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain("DATABASE_URL: cannot connect to postgres://127.0.0.1:1/latchkey");
      expect(result.stderr).not.toContain("s3cret-pass");
    }
  });

  test("two APIs mounted on the same routes stop start-up", async () => {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-mounts-"));
    const result = await runLatchkey(["serve"], { DATA_DIR: dir, LNCRAWL_ENABLED: "true", LNCRAWL_PREFIX: "/auth" }, dir);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('LNCRAWL_PREFIX: "/auth" overlaps "/auth"');
  });

  test("a first start creates the data directory (database, storage folder) and generates its keys into the database", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "latchkey-first-")), "data");
    const env = { JWT_KEY: "", ...ON_DATA_DIR };
    const first = await startServer(env, { dataDir: dir });
    let jwt: string;
    try {
      expect(existsSync(join(dir, "latchkey.db"))).toBe(true);
      expect(statSync(join(dir, "storage")).isDirectory()).toBe(true);
      // In the database, shared by every instance on it; nothing under the data directory.
      expect(existsSync(join(dir, "keys"))).toBe(false);
      const names = await queryDatabase<{ name: string }>(dir, "SELECT name FROM generated_secrets ORDER BY name");
      expect(names.map((row) => row.name)).toEqual(["cookie", "jwt-hmac"]);
      expect(first.output()).toContain("generated a JWT signing key and stored it in the database");
      expect(first.output()).toContain("generated a cookie signing secret and stored it in the database");
      const res = await call(first.url, "POST", "/auth/register", { json: { email: "a@example.com", password: "password-1", cookie: false } });
      expect(res.status).toBe(200);
      jwt = res.body.jwt_token;
    } finally {
      await first.stop();
    }

    // A restart finds the keys: nothing generated, and the token signed before it still verifies.
    const second = await startServer(env, { dataDir: dir });
    try {
      expect(second.output()).not.toContain("generated a");
      const res = await call(second.url, "POST", "/auth/mfa/generate", { headers: { authorization: `Bearer ${jwt}` } });
      expect(res.status).toBe(200);
    } finally {
      await second.stop();
    }
  });


  test("`latchkey migrate` applies the migrations and then has nothing to do", async () => {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-migrate-"));
    const first = await runLatchkey(["migrate"], { DATA_DIR: dir, ...ON_DATA_DIR }, dir);
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toContain(`applied ${journalTags.sqlite.join(", ")}`);
    const second = await runLatchkey(["migrate"], { DATA_DIR: dir, ...ON_DATA_DIR }, dir);
    expect(second.stdout).toContain("database is up to date");
  });

  test("--version and --help", async () => {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-cli-"));
    expect((await runLatchkey(["--version"], {}, dir)).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect((await runLatchkey(["--help"], {}, dir)).stdout).toContain("latchkey migrate");
    expect((await runLatchkey(["bogus"], {}, dir)).exitCode).toBe(2);
  });
});
