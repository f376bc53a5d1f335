// A disabled or deleted account keeps nothing under /storage (issue 23). Every credential passes one caller gate, so
// an access token issued before a ban or a deletion lists, reads, writes and deletes nothing; a disabled owner's
// files are served to nobody but the admin secret until the account is enabled again; and deleting an account
// (CLI, Faroe, HBP self-delete) deletes its files with it: rows, bytes and image variants, nothing left over.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { storedKeys, TEST_BACKEND } from "./support/backend.ts";
import { FAROE_CREDENTIAL } from "./support/faroe.ts";
import { holdUpload } from "./support/held-upload.ts";
import { call } from "./support/http.ts";
import { encodeImage, quadrants } from "./support/images.ts";
import { runLatchkey, startServer, TEST_JWT_KEY, type TestServer } from "./support/server.ts";
import { download, fileRows, filesUnder, upload } from "./support/storage.ts";

const ADMIN_SECRET = "account-state-admin-secret-0123";
const PASSWORD = "owner-password-1";
let server: TestServer;

beforeAll(async () => {
  server = await startServer({
    ADMIN_SECRET,
    FAROE_CREDENTIAL,
    ALLOW_USER_SELF_DELETE: "true",
    LNCRAWL_ENABLED: "true",
    WOLFPAL_ENABLED: "true",
  });
});
afterAll(() => server.stop());

interface Owner {
  id: string;
  email: string;
  jwt: string;
  auth: Record<string, string>;
  /** user/<id>/doc.txt, readable by others with its ?token= */
  doc: { key: string; token: string };
  /** public/<id>.png, readable by anyone, with one image variant made */
  image: string;
}

let owners = 0;

/** A new account with a private file, a public image and a variant of that image. */
async function ownerWithFiles(): Promise<Owner> {
  const email = `owner${++owners}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const res = await call(server.url, "POST", "/auth/register", { json: { email, password: PASSWORD, cookie: false } });
  expect(res.status).toBe(200);
  const id: string = res.body.user.id;
  const auth = { authorization: `Bearer ${res.body.jwt_token}` };
  const doc = `user/${id}/doc.txt`;
  const uploaded = await upload(server.url, doc, "private words\n", { headers: auth, type: "text/plain" });
  expect(uploaded.status).toBe(200);
  const image = `public/${id}.png`;
  expect((await upload(server.url, image, encodeImage("png", quadrants(16, 16), 16, 16), { headers: auth, type: "image/png" })).status).toBe(200);
  const variantsBefore = await variantCount();
  expect((await download(server.url, `/storage/o/${image}?w=8`)).status).toBe(200);
  expect(await variantCount()).toBe(variantsBefore + 1);
  return { id, email, jwt: res.body.jwt_token, auth, doc: { key: doc, token: uploaded.body.Metadata.token }, image };
}

const variantCount = async () => (await storedKeys(server.dataDir, "variants")).length;
const cli = (...args: string[]) => runLatchkey(["user", ...args], { DATA_DIR: server.dataDir, JWT_KEY: TEST_JWT_KEY }, server.dataDir);

/** What the owner's own access token gets under /storage: every status. */
async function ownTokenStatuses(owner: Owner): Promise<Record<string, number>> {
  const { auth } = owner;
  const folder = `user/${owner.id}/`;
  return {
    list: (await call(server.url, "GET", `/storage/m/${folder}`, { headers: auth })).status,
    zip: (await call(server.url, "GET", `/storage/o/${folder}`, { headers: auth })).status,
    download: (await download(server.url, `/storage/o/${owner.doc.key}`, auth)).status,
    metadata: (await call(server.url, "GET", `/storage/m/${owner.doc.key}`, { headers: auth })).status,
    upload: (await upload(server.url, `${folder}new.txt`, "more words", { headers: auth })).status,
    newToken: (await call(server.url, "DELETE", `/storage/m/${owner.doc.key}`, { headers: auth })).status,
    delete: (await call(server.url, "DELETE", `/storage/o/${owner.doc.key}`, { headers: auth })).status,
  };
}

/** What anyone else gets of the owner's files: the ?token= link, the public image, its variant, listings and zips. */
async function sharedStatuses(owner: Owner): Promise<Record<string, number | boolean>> {
  const byToken = `${owner.doc.key}?token=${owner.doc.token}`;
  const listing = await call(server.url, "GET", "/storage/m/public/");
  const zip = await download(server.url, "/storage/o/public/");
  return {
    tokenDownload: (await download(server.url, `/storage/o/${byToken}`)).status,
    tokenMetadata: (await call(server.url, "GET", `/storage/m/${byToken}`)).status,
    image: (await download(server.url, `/storage/o/${owner.image}`)).status,
    variant: (await download(server.url, `/storage/o/${owner.image}?w=8`)).status,
    otherVariant: (await download(server.url, `/storage/o/${owner.image}?w=4`)).status,
    imageMetadata: (await call(server.url, "GET", `/storage/m/${owner.image}`)).status,
    listed: listing.status === 200 && (listing.body as { key: string }[]).some((file) => file.key === owner.image),
    zipped: zip.status === 200 && Object.keys(unzipSync(zip.bytes)).includes(owner.image),
  };
}

const LOCKED_OUT = { list: 403, zip: 403, download: 403, metadata: 403, upload: 403, newToken: 403, delete: 403 };
const SHARED = { tokenDownload: 200, tokenMetadata: 200, image: 200, variant: 200, otherVariant: 200, imageMetadata: 200, listed: true, zipped: true };
const WITHHELD = { tokenDownload: 403, tokenMetadata: 403, image: 403, variant: 403, otherVariant: 403, imageMetadata: 403, listed: false, zipped: false };

/** Nothing of the owner's is left in the database or the file store, and no upload is left half-made. */
async function expectNothingLeftOf(owner: Owner, variantsBefore: number): Promise<void> {
  const rows = await fileRows(server.dataDir);
  expect(rows.filter((row) => row.key.includes(owner.id))).toEqual([]);
  expect(rows.filter((row) => row.owner_id === owner.id)).toEqual([]);
  expect((await storedKeys(server.dataDir, "objects")).filter((key) => key.includes(owner.id))).toEqual([]);
  expect(await variantCount()).toBe(variantsBefore - 1); // the owner's one variant
  expect(filesUnder(join(server.dataDir, "storage", "tmp"))).toEqual([]);
}

/**
 * Starts an upload of the owner's and holds back the end of its body, once the server is past its checks and writing
 * the bytes: on disk the staged upload shows in storage/tmp. (On S3 it is invisible until complete; the CLI the tests
 * run next takes far longer to start than the server takes to get there.)
 */
async function uploadUnderWay(owner: Owner, key: string) {
  const held = await holdUpload(server.url, key, owner.auth, { first: new Uint8Array(64 * 1024).fill(1), rest: new Uint8Array(64 * 1024).fill(2) });
  if (TEST_BACKEND === "sqlite-disk") {
    const tmp = join(server.dataDir, "storage", "tmp");
    for (let polls = 0; filesUnder(tmp).length === 0; polls++) {
      if (polls > 2000) throw new Error("the upload was never staged");
      await Bun.sleep(5);
    }
  }
  return held;
}

/** The answer to an upload that its account's new state undid, and nothing of it left behind. */
async function expectUndone(answer: { status: number; body: string }, owner: Owner, key: string): Promise<void> {
  expect(answer.status).toBe(403);
  expect(JSON.parse(answer.body)).toEqual({ statusCode: 403, error: "Forbidden", message: "Forbidden" });
  expect(await fileRows(server.dataDir, key)).toEqual([]);
  expect((await storedKeys(server.dataDir, "objects")).filter((stored) => stored === key)).toEqual([]);
  expect(filesUnder(join(server.dataDir, "storage", "tmp"))).toEqual([]);
}

describe("a disabled account", () => {
  test("its access token gets nothing under /storage; its files are withheld from everyone but the admin secret until it is enabled", async () => {
    const owner = await ownerWithFiles();
    expect(await sharedStatuses(owner)).toEqual(SHARED);

    const disabled = await cli("disable", owner.id);
    expect(disabled.exitCode).toBe(0);

    expect(await ownTokenStatuses(owner)).toEqual(LOCKED_OUT);
    expect(await sharedStatuses(owner)).toEqual(WITHHELD);
    // The refusal is the same 403 as any forbidden read: it does not say why.
    const refused = await call(server.url, "GET", `/storage/m/${owner.doc.key}?token=${owner.doc.token}`);
    expect(refused.body).toEqual({ statusCode: 403, error: "Forbidden", message: "Forbidden" });
    // The admin secret still reaches them (the operator's way to look at what a banned account stored).
    const admin = { "x-admin-secret": ADMIN_SECRET };
    const asAdmin = await download(server.url, `/storage/o/${owner.doc.key}`, admin);
    expect(asAdmin.status).toBe(200);
    expect(new TextDecoder().decode(asAdmin.bytes)).toBe("private words\n");
    expect((await download(server.url, `/storage/o/${owner.image}?w=8`, admin)).status).toBe(200);
    // Nothing was changed by the refused writes.
    expect((await fileRows(server.dataDir, owner.doc.key))[0]?.token).toBe(owner.doc.token);
    expect(await fileRows(server.dataDir, `user/${owner.id}/new.txt`)).toEqual([]);

    expect((await cli("enable", owner.id)).exitCode).toBe(0);
    expect(await sharedStatuses(owner)).toEqual(SHARED);
  });

  test("an upload under way when it is disabled is undone: 403, and no file or row is left", async () => {
    const owner = await ownerWithFiles();
    const key = `user/${owner.id}/during.bin`;
    const held = await uploadUnderWay(owner, key);
    expect((await cli("disable", owner.id)).exitCode).toBe(0);
    await expectUndone(await held.finish(), owner, key);
    // Its other files are kept (withheld), and are served again once it is enabled.
    expect((await download(server.url, `/storage/o/${owner.doc.key}`, { "x-admin-secret": ADMIN_SECRET })).status).toBe(200);
    expect((await cli("enable", owner.id)).exitCode).toBe(0);
    expect((await download(server.url, `/storage/o/${owner.doc.key}?token=${owner.doc.token}`)).status).toBe(200);
  });

  test("its lncrawl and WolfPal tokens are refused, and so is HBP's access token on /auth", async () => {
    const owner = await ownerWithFiles();
    const lncrawl = await call(server.url, "POST", "/api/auth/login", { json: { email: owner.email, password: PASSWORD } });
    expect(lncrawl.status).toBe(200);
    const wolfpal = await call(server.url, "POST", "/wolfpal/auth/login", { json: { email: owner.email, password: PASSWORD } });
    expect(wolfpal.status).toBe(200);
    const lncrawlAuth = { authorization: `Bearer ${lncrawl.body.token}` };
    const wolfpalAuth = { authorization: `Bearer ${wolfpal.body.access_token}` };
    expect((await call(server.url, "GET", "/api/auth/me", { headers: lncrawlAuth })).status).toBe(200);

    expect((await cli("disable", owner.email)).exitCode).toBe(0);

    expect((await call(server.url, "GET", "/api/auth/me", { headers: lncrawlAuth })).status).toBe(403);
    expect((await call(server.url, "POST", "/wolfpal/account/two-factor", { headers: wolfpalAuth })).status).toBe(401);
    expect((await call(server.url, "POST", "/wolfpal/auth/refresh", { json: { refresh_token: wolfpal.body.refresh_token } })).status).toBe(401);
    expect((await call(server.url, "POST", "/auth/token/revoke", { headers: owner.auth })).status).toBe(401);
    expect((await call(server.url, "POST", "/auth/mfa/generate", { headers: owner.auth })).status).toBe(401);
  });
});

const DELETIONS: [string, (owner: Owner) => Promise<void>][] = [
  [
    "latchkey user delete",
    async (owner) => {
      const deleted = await cli("delete", owner.email);
      expect(deleted.exitCode).toBe(0);
      expect(deleted.stdout).toContain(`deleted ${owner.email}`);
    },
  ],
  [
    "Faroe's DELETE /users/{id}",
    async (owner) => {
      const res = await call(server.url, "DELETE", `/faroe/users/${owner.id}`, { headers: { authorization: FAROE_CREDENTIAL } });
      expect(res.status).toBe(204);
    },
  ],
  [
    "HBP's POST /auth/delete",
    async (owner) => {
      expect((await call(server.url, "POST", "/auth/delete", { headers: owner.auth })).status).toBe(204);
    },
  ],
  [
    "HBP's POST /auth/account/remove",
    async (owner) => {
      expect((await call(server.url, "POST", "/auth/account/remove", { headers: owner.auth })).status).toBe(204);
    },
  ],
];

describe("a deleted account", () => {
  test.each(DELETIONS)("deleted by %s, its files go with it and its access token gets nothing under /storage", async (_how, deleteAccount) => {
    const owner = await ownerWithFiles();
    const variantsBefore = await variantCount();
    // Another user's file is left alone.
    const bystander = await ownerWithFiles();

    await deleteAccount(owner);

    await expectNothingLeftOf(owner, variantsBefore + 1);
    expect(await ownTokenStatuses(owner)).toEqual(LOCKED_OUT);
    // What the refused upload, delete and token reset did not leave behind.
    await expectNothingLeftOf(owner, variantsBefore + 1);
    expect((await download(server.url, `/storage/o/${owner.doc.key}?token=${owner.doc.token}`)).status).toBe(403);
    expect((await download(server.url, `/storage/o/${owner.image}`)).status).toBe(404);
    expect(await sharedStatuses(bystander)).toEqual(SHARED);
    // The other dialects refuse its tokens too.
    expect((await call(server.url, "POST", "/auth/token/revoke", { headers: owner.auth })).status).toBe(401);
  });

  test("an upload under way when its account is deleted (its row refused by the foreign key) leaves no file and no row, and answers 403", async () => {
    const owner = await ownerWithFiles();
    const key = `user/${owner.id}/during.bin`;
    const held = await uploadUnderWay(owner, key);
    expect((await cli("delete", owner.id)).exitCode).toBe(0);
    await expectUndone(await held.finish(), owner, key);
    expect((await storedKeys(server.dataDir, "objects")).filter((stored) => stored.includes(owner.id))).toEqual([]);
  });
});

// A read of one file's metadata reads its caller's account state with the file's row (one statement): the gate's
// rule must still hold there on its own, for a file the caller's token would reach that its account does not own (the
// admin secret put it there: it has no owner, so nothing withholds it), and for a file that is not there.
describe("the caller gate on a read of a file's metadata", () => {
  async function callerWithUnownedFile(): Promise<{ owner: Owner; key: string; missing: string }> {
    const owner = await ownerWithFiles();
    const key = `user/${owner.id}/placed.txt`;
    expect((await upload(server.url, key, "placed by the operator\n", { headers: { "x-admin-secret": ADMIN_SECRET }, type: "text/plain" })).status).toBe(200);
    expect((await fileRows(server.dataDir, key))[0]?.owner_id).toBeNull();
    const missing = `user/${owner.id}/missing.txt`;
    // Live: the token reads it, and a missing file is a 404.
    const read = await call(server.url, "GET", `/storage/m/${key}`, { headers: owner.auth });
    expect(read.status).toBe(200);
    expect(read.body.key).toBe(key);
    expect((await call(server.url, "GET", `/storage/m/${missing}`, { headers: owner.auth })).status).toBe(404);
    return { owner, key, missing };
  }

  async function expectRefused(owner: Owner, key: string, missing: string): Promise<void> {
    const refused = await call(server.url, "GET", `/storage/m/${key}`, { headers: owner.auth });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ statusCode: 403, error: "Forbidden", message: "Forbidden" });
    // Not there: judged as an anonymous caller's read, 403 as well (not the live caller's 404).
    expect((await call(server.url, "GET", `/storage/m/${missing}`, { headers: owner.auth })).status).toBe(403);
  }

  test("disabled: its token reads nothing, and again once it is enabled", async () => {
    const { owner, key, missing } = await callerWithUnownedFile();
    expect((await cli("disable", owner.id)).exitCode).toBe(0);
    await expectRefused(owner, key, missing);
    expect((await cli("enable", owner.id)).exitCode).toBe(0);
    expect((await call(server.url, "GET", `/storage/m/${key}`, { headers: owner.auth })).status).toBe(200);
  });

  test("deleted: its token reads nothing", async () => {
    const { owner, key, missing } = await callerWithUnownedFile();
    expect((await cli("delete", owner.email)).exitCode).toBe(0);
    await expectRefused(owner, key, missing);
  });
});
