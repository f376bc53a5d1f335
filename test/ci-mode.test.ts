// latchkey in another project's CI (issue 25, part 7): `serve --ephemeral` on a temporary data directory removed at
// exit, PORT=0 with a start-up line a harness can parse (text, or JSON with `url`) whatever LOG_LEVEL is, and
// `--seed <file>` preparing users (password, roles, TOTP) and files before the first request.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ON_DATA_DIR } from "./support/backend.ts";
import { call, decodeJwtPayload } from "./support/http.ts";
import { latchkeyCommand, runLatchkey, startServer, TEST_JWT_KEY, type TestServer } from "./support/server.ts";
import { awayFromStepEdge, totpCode } from "./support/totp.ts";

const folders: string[] = [];
function freshFolder(prefix: string): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  folders.push(folder);
  return folder;
}
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** The JSON lines of a server's output (a text line is left out). */
function jsonLines(output: string): Record<string, unknown>[] {
  return output.split("\n").flatMap((line) => {
    try {
      const parsed: unknown = JSON.parse(line);
      return typeof parsed === "object" && parsed !== null ? [parsed as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

test("latchkey serve --help and latchkey --help describe --ephemeral and --seed", async () => {
  const dir = freshFolder("latchkey-ci-help-");
  const page = await runLatchkey(["serve", "--help"], {}, dir);
  expect(page.exitCode).toBe(0);
  expect(page.stdout).toContain("--ephemeral");
  expect(page.stdout).toContain("--seed <file>");
  expect(page.stdout).toContain("totpSecret");
  const all = await runLatchkey(["--help"], {}, dir);
  expect(all.stdout).toContain("[--ephemeral] [--seed <file>]");
  // Help runs nothing: no temporary folder, no server.
  expect(page.stdout).not.toContain("listening on http://");
});

describe("serve --ephemeral", () => {
  test("the temporary data directory (0700, with the database) exists while it runs and is gone after SIGTERM", async () => {
    // TMPDIR: where the temporary folder is made, so the test sees exactly what is left behind.
    const temp = freshFolder("latchkey-ci-tmp-");
    const server = await startServer({ ...ON_DATA_DIR, TMPDIR: temp }, { command: [...latchkeyCommand(), "serve", "--ephemeral"] });
    let stopped = false;
    try {
      const dataDir = /data=(\S+)/.exec(server.output())?.[1] ?? "";
      expect(dataDir.startsWith(join(temp, "latchkey-ephemeral-"))).toBe(true);
      expect(readdirSync(temp)).toEqual([dataDir.slice(temp.length + 1)]);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(existsSync(join(dataDir, "latchkey.db"))).toBe(true);
      // Not the data directory the test helper made: nothing is written there.
      expect(existsSync(join(server.dataDir, "latchkey.db"))).toBe(false);
      const registered = await call(server.url, "POST", "/auth/register", { json: { email: "eph@example.com", password: "ephemeral-pass-1", cookie: false } });
      expect(registered.status).toBe(200);
      expect(await server.stop()).toBe(0);
      stopped = true;
      expect(existsSync(dataDir)).toBe(false);
      expect(readdirSync(temp)).toEqual([]);
    } finally {
      if (!stopped) await server.stop();
    }
  });

  test("without the word serve too; SIGINT also removes the directory", async () => {
    const temp = freshFolder("latchkey-ci-tmp-");
    const server = await startServer({ ...ON_DATA_DIR, TMPDIR: temp }, { command: [...latchkeyCommand(), "--ephemeral"] });
    expect(readdirSync(temp)).toHaveLength(1);
    process.kill(server.pid, "SIGINT");
    await server.waitFor(/shutting down.*SIGINT/);
    expect(await server.stop()).toBe(0);
    expect(readdirSync(temp)).toEqual([]);
  });

  test("a configuration error stops it with exit 2 and leaves no temporary directory", async () => {
    const temp = freshFolder("latchkey-ci-tmp-");
    const result = await runLatchkey(["serve", "--ephemeral"], { ...ON_DATA_DIR, TMPDIR: temp, JWT_KEY: TEST_JWT_KEY, PORT: "not-a-port" }, temp);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("PORT");
    expect(readdirSync(temp)).toEqual([]);
  });

  test("refused with DATABASE_URL or STORAGE_URL: they would outlive the run", async () => {
    const temp = freshFolder("latchkey-ci-tmp-");
    for (const [name, value] of [
      ["DATABASE_URL", "postgres://latchkey@127.0.0.1:1/latchkey"],
      ["STORAGE_URL", "s3://bucket?endpoint=http://127.0.0.1:1"],
    ] as const) {
      const result = await runLatchkey(["serve", "--ephemeral"], { ...ON_DATA_DIR, TMPDIR: temp, [name]: value }, temp);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(`--ephemeral keeps everything in a temporary folder removed at exit; ${name}`);
      expect(readdirSync(temp)).toEqual([]);
    }
  });
});

describe("PORT=0 and the start-up line", () => {
  // Every test server starts on PORT=0 (test/support/server.ts); these read the line as a CI harness would.
  test("text: the line names the URL, and the URL answers /healthz", async () => {
    const server = await startServer({ PORT: "0" });
    try {
      const url = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(server.output());
      expect(Number(url?.[2])).toBeGreaterThan(0);
      expect((await call(url![1]!, "GET", "/healthz")).body).toBe("OK");
    } finally {
      await server.stop();
    }
  });

  for (const level of ["info", "warn", "error"]) {
    test(`LOG_FORMAT=json, LOG_LEVEL=${level}: one JSON line with a url field, and the URL answers /healthz`, async () => {
      const server = await startServer({ PORT: "0", LOG_FORMAT: "json", LOG_LEVEL: level });
      try {
        const lines = jsonLines(server.output()).filter((line) => typeof line.url === "string");
        expect(lines).toHaveLength(1);
        const line = lines[0]!;
        expect(line.level).toBe("info");
        expect(line.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(line.url).toBe(server.url);
        expect(String(line.msg)).toContain(`listening on ${String(line.url)}`);
        expect((await call(String(line.url), "GET", "/healthz")).body).toBe("OK");
        // The level still holds for everything else: no access line below warn.
        if (level !== "info") expect(jsonLines(server.output()).filter((entry) => entry.level === "info" && entry.url === undefined)).toEqual([]);
      } finally {
        await server.stop();
      }
    });
  }

  test("LOG_LEVEL=warn in text still prints the line", async () => {
    const server = await startServer({ LOG_LEVEL: "warn" });
    try {
      expect(server.output()).toMatch(/INFO latchkey \S+ listening on http:\/\/127\.0\.0\.1:\d+ url=http/);
    } finally {
      await server.stop();
    }
  });
});

const ADMIN_SECRET = "ci-seed-admin-secret-0123456789";
/** 160 bits in base32, as the test's authenticator app would hold it. */
const ALICE_TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const SEED_ENV = { ADMIN_SECRET, ALLOWED_USER_ROLES: "user,me,editor,reviewer" };

describe("serve --seed", () => {
  const folder = freshFolder("latchkey-ci-seed-");
  const picture = new Uint8Array([0, 1, 2, 250, 255, 10, 13]);
  writeFileSync(join(folder, "picture.bin"), picture);
  const seedJson = join(folder, "seed.json");
  writeFileSync(
    seedJson,
    JSON.stringify({
      users: [
        { email: "alice@example.com", password: "alice-seeded-password", roles: ["editor"], totpSecret: ALICE_TOTP },
        { email: "bob@example.com", password: "bob-seeded-password", roles: ["reviewer"], defaultRole: "reviewer", displayName: "Bob" },
      ],
      files: [
        { path: "public/hello.txt", text: "hello from the seed", contentType: "text/plain" },
        { path: "public/bytes.bin", base64: Buffer.from([9, 8, 7, 0, 255]).toString("base64") },
        { path: "public/picture.bin", file: "picture.bin" },
      ],
    }),
  );

  async function download(url: string, key: string): Promise<{ status: number; bytes: Uint8Array }> {
    const response = await fetch(`${url}/storage/o/${key}`, { headers: { "x-admin-secret": ADMIN_SECRET } });
    return { status: response.status, bytes: new Uint8Array(await response.arrayBuffer()) };
  }

  test("users sign in (with a TOTP code from the seeded secret), have their roles in the JWT, files download; a second start refuses", async () => {
    const dataDir = freshFolder("latchkey-ci-data-");
    const server = await startServer(SEED_ENV, { dataDir, command: [...latchkeyCommand(), "serve", "--seed", seedJson] });
    try {
      expect(server.output()).toContain("seed applied");
      await awayFromStepEdge();
      const login = await call(server.url, "POST", "/auth/login", { json: { email: "alice@example.com", password: "alice-seeded-password" } });
      expect(login.status).toBe(200);
      expect(login.body.mfa).toBe(true);
      const session = await call(server.url, "POST", "/auth/mfa/totp", { json: { ticket: login.body.ticket, code: totpCode(ALICE_TOTP), cookie: false } });
      expect(session.status).toBe(200);
      const claims = decodeJwtPayload(session.body.jwt_token)["https://hasura.io/jwt/claims"];
      expect(claims["x-hasura-allowed-roles"]).toContain("editor");
      expect(claims["x-hasura-default-role"]).toBe("user");

      const bob = await call(server.url, "POST", "/auth/login", { json: { email: "bob@example.com", password: "bob-seeded-password", cookie: false } });
      expect(bob.status).toBe(200);
      expect(bob.body.user.display_name).toBe("Bob");
      const bobClaims = decodeJwtPayload(bob.body.jwt_token)["https://hasura.io/jwt/claims"];
      expect(bobClaims["x-hasura-default-role"]).toBe("reviewer");

      const hello = await download(server.url, "public/hello.txt");
      expect(hello.status).toBe(200);
      expect(new TextDecoder().decode(hello.bytes)).toBe("hello from the seed");
      expect([...(await download(server.url, "public/bytes.bin")).bytes]).toEqual([9, 8, 7, 0, 255]);
      expect([...(await download(server.url, "public/picture.bin")).bytes]).toEqual([...picture]);
    } finally {
      await server.stop();
    }
    // The same seed on the same data: refused, naming the account, rather than half-applied.
    const again = await runLatchkey(["serve", "--seed", seedJson], { ...SEED_ENV, DATA_DIR: dataDir, JWT_KEY: TEST_JWT_KEY, HOST: "127.0.0.1", PORT: "0" }, dataDir);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain("users[0] (alice@example.com) exists already");
  });

  test("YAML (parsed by Bun.YAML) with --ephemeral", async () => {
    const seedYaml = join(folder, "seed.yaml");
    writeFileSync(seedYaml, `users:\n  - email: carol@example.com\n    password: carol-seeded-password\n    roles: [editor]\nfiles:\n  - path: public/carol.txt\n    text: "carol's file"\n  - path: public/with space?.txt\n    text: spaced\n`);
    const server = await startServer({ ...SEED_ENV, ...ON_DATA_DIR }, { command: [...latchkeyCommand(), "serve", "--ephemeral", "--seed", seedYaml] });
    try {
      const login = await call(server.url, "POST", "/auth/login", { json: { email: "carol@example.com", password: "carol-seeded-password", cookie: false } });
      expect(login.status).toBe(200);
      expect(decodeJwtPayload(login.body.jwt_token)["https://hasura.io/jwt/claims"]["x-hasura-allowed-roles"]).toContain("editor");
      expect(new TextDecoder().decode((await download(server.url, "public/carol.txt")).bytes)).toBe("carol's file");
      expect(new TextDecoder().decode((await download(server.url, "public/with%20space%3F.txt")).bytes)).toBe("spaced");
    } finally {
      await server.stop();
    }
  });

  const bad: { name: string; file: string; content: string; env?: Record<string, string>; message: string }[] = [
    { name: "not JSON", file: "broken.json", content: "{ users: ", message: "is not valid JSON" },
    { name: "not YAML", file: "broken.yaml", content: "users: [\n", message: "is not valid YAML" },
    { name: "an unknown top-level field", file: "field.json", content: `{"accounts": []}`, message: `unknown field "accounts"` },
    { name: "a user without an email", file: "email.json", content: `{"users": [{"password": "x-password-123"}]}`, message: "users[0].email must be an email address" },
    { name: "a TOTP secret that is not base32 of 160 bits", file: "totp.json", content: `{"users": [{"email": "t@example.com", "totpSecret": "0189"}]}`, message: "users[0].totpSecret must be 160 bits" },
    { name: "a file with two sources", file: "sources.json", content: `{"files": [{"path": "a.txt", "text": "a", "base64": "YQ=="}]}`, message: `files[0] needs exactly one of "text", "base64", "file"` },
    { name: "a file path that leaves the store", file: "escape.json", content: `{"files": [{"path": "public/../../escape.txt", "text": "a"}]}`, message: "files[0].path: invalid_path: Invalid file path: '.' and '..' segments are not allowed" },
    { name: "a local file that is missing", file: "missing.json", content: `{"files": [{"path": "a.txt", "file": "nowhere.bin"}]}`, message: "files[0].file nowhere.bin cannot be read (ENOENT)" },
    { name: "a role not in ALLOWED_USER_ROLES", file: "role.json", content: `{"users": [{"email": "r@example.com", "password": "r-seeded-password", "roles": ["root"]}]}`, message: "users[0] (r@example.com): refused (role_not_allowed)" },
    { name: "files without ADMIN_SECRET", file: "admin.json", content: `{"files": [{"path": "a.txt", "text": "a"}]}`, env: { ADMIN_SECRET: "" }, message: "seeding files needs ADMIN_SECRET" },
    { name: "a seed file that does not exist", file: "", content: "", message: "cannot be read (ENOENT)" },
  ];
  test("a seed that does not parse is named without quoting what the parser stumbled on (a password)", async () => {
    const dir = freshFolder("latchkey-ci-bad-");
    const file = join(dir, "quoted.json");
    writeFileSync(file, `{"users": [{"email": "q@example.com", "password": unquotedSeedPassword42}]}`);
    const result = await runLatchkey(["serve", "--seed", file], { DATA_DIR: join(dir, "data"), JWT_KEY: TEST_JWT_KEY }, dir);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`--seed ${file}: is not valid JSON`);
    expect(result.stdout + result.stderr).not.toContain("unquotedSeedPassword42");
  });

  for (const scenario of bad) {
    test(`a bad seed stops start-up with exit 2: ${scenario.name}`, async () => {
      const dir = freshFolder("latchkey-ci-bad-");
      const file = join(dir, scenario.file || "absent.json");
      if (scenario.file) writeFileSync(file, scenario.content);
      const result = await runLatchkey(
        ["serve", "--seed", file],
        { ...SEED_ENV, DATA_DIR: join(dir, "data"), JWT_KEY: TEST_JWT_KEY, HOST: "127.0.0.1", PORT: "0", ...scenario.env },
        dir,
      );
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(`--seed ${file}`);
      expect(result.stderr).toContain(scenario.message);
      expect(result.stdout + result.stderr).not.toContain("listening on");
    });
  }
});
