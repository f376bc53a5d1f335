// `latchkey config check` (the settings in effect, secrets masked, lookalike variables named) and the help of every
// command, which stands alone and points to the docs the server serves, not to a README.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLatchkey, TEST_JWT_KEY } from "./support/server.ts";

const dir = mkdtempSync(join(tmpdir(), "latchkey-cli-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRETS = {
  JWT_KEY: TEST_JWT_KEY,
  SMTP_PASS: "smtp-password-value",
  ADMIN_SECRET: "admin-secret-value-123",
  FAROE_CREDENTIAL: "faroe-credential-value",
  COOKIE_SECRET: "cookie-secret-value-42",
  AWS_SECRET_ACCESS_KEY: "s3-secret-access-value",
};
const DB_PASSWORD = "db-password-4242";

const check = (env: Record<string, string>) => runLatchkey(["config", "check"], { DATA_DIR: dir, ...env }, dir);

describe("config check", () => {
  test("prints the effective settings with every secret masked, and names typos and lookalikes", async () => {
    const result = await check({
      ...SECRETS,
      SMTP_HOST: "smtp.example.com",
      SMTP_USER: "mailer",
      DATABASE_URL: `postgres://latchkey:${DB_PASSWORD}@db.example.com:5432/latchkey?sslpassword=${DB_PASSWORD}`,
      STORAGE_URL: "s3://latchkey-files?endpoint=http://127.0.0.1:9000",
      AWS_ACCESS_KEY_ID: "access-key-id",
      PORT: "4321",
      SMTP_HOTS: "smtp.typo.example.com",
      LATCHKEY_PORT: "1234",
      SMTP_FROB: "1",
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/server\.port\s+4321/);
    expect(result.stdout).toMatch(/mail\.smtp\.host\s+smtp\.example\.com/);
    expect(result.stdout).toMatch(/mail\.smtp\.pass\s+\*{8} \(set\)/);
    expect(result.stdout).toMatch(/jwt\.key\s+\*{8} \(set\)/);
    expect(result.stdout).toContain("postgres://latchkey:********@db.example.com:5432/latchkey?sslpassword=********");
    // Settings about secrets are not secrets: they stay readable.
    expect(result.stdout).toMatch(/auth\.lostPasswordEnabled\s+false/);
    expect(result.stdout).toMatch(/registration\.minPasswordLength\s+8/);
    expect(result.stdout).toMatch(/storage\.s3\.accessKeyId\s+access-key-id/);
    for (const secret of [...Object.values(SECRETS), DB_PASSWORD]) {
      expect(result.stdout).not.toContain(secret);
      expect(result.stderr).not.toContain(secret);
    }
    expect(result.stdout).toContain("set in the environment:");
    expect(result.stderr).toContain("SMTP_HOTS is not a latchkey setting and is ignored; did you mean SMTP_HOST?");
    expect(result.stderr).toContain("LATCHKEY_PORT is not a latchkey setting and is ignored; did you mean PORT?");
    expect(result.stderr).toContain("SMTP_FROB is not a latchkey setting");
    // PATH and HOME are every process's, not near any setting.
    expect(result.stderr).not.toContain("PATH");
    expect(result.stderr).not.toContain("HOME");
  });

  test("a clean environment has no warnings; an invalid one exits 1 naming the problem and the typo", async () => {
    const clean = await check({ JWT_KEY: TEST_JWT_KEY, DATABASE_URL: "", STORAGE_URL: "" });
    expect(clean.exitCode).toBe(0);
    expect(clean.stderr).not.toContain("warning");
    expect(clean.stdout).toMatch(/server\.port\s+3000/);

    const invalid = await check({ PORT: "not-a-port", JWT_EXPIRES_IM: "30" });
    expect(invalid.exitCode).toBe(1);
    expect(invalid.stderr).toContain('PORT: expected a whole number from 0 to 65535, got "not-a-port"');
    expect(invalid.stderr).toContain("did you mean JWT_EXPIRES_IN?");
  });
});

describe("help", () => {
  test("latchkey --help lists every command and option and points to the served docs", async () => {
    const result = await runLatchkey(["--help"], { DATA_DIR: dir }, dir);
    expect(result.exitCode).toBe(0);
    for (const command of [
      "latchkey [serve]",
      "latchkey migrate",
      "latchkey user list",
      "latchkey user show",
      "latchkey user create",
      "latchkey user set-password",
      "latchkey user roles",
      "latchkey user sessions",
      "latchkey user mfa-reset",
      "latchkey user disable",
      "latchkey user enable",
      "latchkey user delete",
      "latchkey export",
      "latchkey import",
      "latchkey mail test",
      "latchkey config check",
      "--data-dir <dir>",
      "--password-stdin",
      "--revoke-all",
      "--json",
    ]) {
      expect(result.stdout).toContain(command);
    }
    expect(result.stdout).toContain("http://localhost:3000/openapi");
    expect(result.stdout).not.toContain("README");
  });

  test("latchkey <command> --help describes that command, with PUBLIC_URL's docs address", async () => {
    const env = { DATA_DIR: dir, PUBLIC_URL: "https://auth.example.com" };
    const userHelp = await runLatchkey(["user", "--help"], env, dir);
    expect(userHelp.exitCode).toBe(0);
    expect(userHelp.stdout).toContain("latchkey user create <email> [--password-stdin | --no-password] [--role <role>]...");
    expect(userHelp.stdout).toContain("<account> is an email address, a username or an account id");
    expect(userHelp.stdout).toContain("https://auth.example.com/openapi");
    expect(userHelp.stdout).not.toContain("README");

    const configHelp = await runLatchkey(["config", "--help"], env, dir);
    expect(configHelp.stdout).toContain("latchkey config check");
    expect(configHelp.stdout).toContain("SMTP_HOST");
    for (const command of ["serve", "migrate", "export", "import", "mail"]) {
      const help = await runLatchkey([command, "--help"], env, dir);
      expect(help.exitCode).toBe(0);
      expect(help.stdout).toContain(`latchkey ${command === "serve" ? "[serve]" : command}`);
      expect(help.stdout).toContain("--data-dir <dir>");
    }
  });
});
