// Key ranges on a PostgreSQL database whose default collation is a language's (as on a cluster initialised with
// Debian's default en_US.UTF-8), not C: such a collation weighs letters before punctuation, so a range [prefix,
// prefix's successor) in its order misses keys that start with the prefix: the console's user search by address
// prefix, and every folder of storage (HBP's listing and zip, the console's Files). Addresses, usernames and file keys
// compare bytewise whatever the database's default (migration 0008).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { consoleSignIn, type ConsoleClient } from "./support/console.ts";
import { call } from "./support/http.ts";
import { startPostgres, type TestPostgres } from "./support/postgres.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { newUser, upload } from "./support/storage.ts";

const ADMIN_EMAIL = "root@collation.example";
const ADMIN_PASSWORD = "console-admin-password-1";

let postgres: TestPostgres;
let server: TestServer;
let admin: ConsoleClient;

beforeAll(async () => {
  postgres = await startPostgres();
  const url = await postgres.database({ icuLocale: "en-US-u-ka-shifted" });
  server = await startServer({ DATABASE_URL: url, STORAGE_URL: "", ADMIN_EMAIL, ADMIN_PASSWORD });
  admin = await consoleSignIn(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
}, 120_000);
afterAll(async () => {
  await server?.stop();
  await postgres?.stop();
});

test("an address prefix with punctuation finds every address that starts with it, in pages, on a database whose default collation ignores punctuation first (ICU en-US, shifted, as glibc en_US)", async () => {
  const addresses = ["john.doe@example.com", "john.d@example.com", "john.smith@example.com", "johnd@example.com", "john-doe@example.com"];
  for (const email of addresses) {
    const res = await call(server.url, "POST", "/auth/register", { json: { email, password: "user-password-4711", cookie: false } });
    expect(res.status).toBe(200);
  }
  const found: string[] = [];
  let after: string | null = null;
  for (let page = 0; page < 5; page++) {
    const res: { status: number; body: any } = await admin.call("GET", `/users?q=${encodeURIComponent("john.")}&limit=1${after ? `&after=${encodeURIComponent(after)}` : ""}`);
    expect(res.status).toBe(200);
    found.push(...res.body.users.map((user: { email: string }) => user.email));
    after = res.body.next ?? null;
    if (after === null) break;
  }
  expect(found.sort()).toEqual(["john.d@example.com", "john.doe@example.com", "john.smith@example.com"]);
});

test("a folder lists every file under it and nothing beside it (the key range HBP's listing and zip use too), on the console's Files", async () => {
  const owner = await newUser(server.url);
  const keys = ["public/album/b.txt", "public/album/z-last.txt", "public/album.txt", "public/album0.txt", "public/albumb.txt"];
  for (const key of keys) expect((await upload(server.url, key, key, { headers: owner.auth, type: "text/plain" })).status).toBe(200);
  const listed: { status: number; body: any } = await admin.call("GET", "/files?folder=public/album/");
  expect(listed.status).toBe(200);
  expect(listed.body.entries.map((entry: any) => entry.file.key)).toEqual(["public/album/b.txt", "public/album/z-last.txt"]);
});
