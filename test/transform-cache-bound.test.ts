// TRANSFORM_CACHE_MAX (storage/images/variants.ts): the image-variant cache stays within its bound in bytes, least
// recently used out, on local disk and on S3. What the cache holds is read from the store itself (the variants
// folder, or the bucket's variants/ prefix); a hit is a variant served without a new one being made.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { encodeImage, quadrants } from "./support/images.ts";
import { sharedS3 } from "./support/s3.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { download, newUser, upload, type TestUser } from "./support/storage.ts";

const IMAGE = encodeImage("png", quadrants(64, 64), 64, 64);
const TRANSFORM = "?w=32&f=png";

interface Store {
  name: string;
  /** Settings for a server on a new, empty store, and how to list the variants it keeps (key -> bytes). */
  open(): Promise<{ env: Record<string, string>; variants(server: TestServer): Promise<Map<string, number>> }>;
}

function walk(folder: string, found: Map<string, number>, base = folder): Map<string, number> {
  let entries;
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch {
    return found; // not made yet
  }
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) walk(path, found, base);
    else found.set(path.slice(base.length + 1), statSync(path).size);
  }
  return found;
}

const STORES: Store[] = [
  {
    name: "local disk",
    open: async () => ({ env: { STORAGE_URL: "" }, variants: async (server) => walk(join(server.dataDir, "storage", "variants"), new Map()) }),
  },
  {
    name: "S3",
    open: async () => {
      const s3 = await sharedS3();
      const bucket = await s3.bucket();
      return {
        env: s3.env(bucket, "lk"),
        variants: async () => {
          const found = new Map<string, number>();
          for (const key of await s3.keys(bucket, "lk/variants/")) found.set(key, (await s3.client(bucket).file(key).stat()).size);
          return found;
        },
      };
    },
  },
];

const total = (variants: Map<string, number>) => [...variants.values()].reduce((sum, size) => sum + size, 0);

for (const store of STORES) {
  describe(`TRANSFORM_CACHE_MAX on ${store.name}`, () => {
    let server: TestServer;
    let user: TestUser;
    let listVariants: () => Promise<Map<string, number>>;
    /** Every variant has the same size (one image, one transform): the bound holds two of them, not three. */
    let variantBytes: number;
    let bound: number;

    beforeAll(async () => {
      // The variant's size, from a server with the default bound (the pipeline makes the same bytes every time).
      const probeStore = await store.open();
      const probe = await startServer(probeStore.env);
      try {
        const prober = await newUser(probe.url);
        expect((await upload(probe.url, `user/${prober.id}/probe.png`, IMAGE, { headers: prober.auth, type: "image/png" })).status).toBe(200);
        const made = await download(probe.url, `/storage/o/user/${prober.id}/probe.png${TRANSFORM}`, prober.auth);
        expect(made.status).toBe(200);
        variantBytes = made.bytes.byteLength;
      } finally {
        await probe.stop();
      }
      bound = Math.floor(variantBytes * 2.5);
      const opened = await store.open();
      server = await startServer({ ...opened.env, TRANSFORM_CACHE_MAX: String(bound) });
      listVariants = () => opened.variants(server);
      user = await newUser(server.url);
      for (const name of ["a", "b", "c", "d"]) {
        expect((await upload(server.url, `user/${user.id}/${name}.png`, IMAGE, { headers: user.auth, type: "image/png" })).status).toBe(200);
      }
    });
    afterAll(() => server?.stop());

    /** Transforms one image; the variant keys that appeared (made) by it. */
    async function transform(name: string): Promise<{ etag: string | null; made: string[] }> {
      const before = await listVariants();
      const res = await download(server.url, `/storage/o/user/${user.id}/${name}.png${TRANSFORM}`, user.auth);
      expect(res.status).toBe(200);
      expect(res.bytes.byteLength).toBe(variantBytes);
      const after = await listVariants();
      expect(total(after)).toBeLessThanOrEqual(bound);
      return { etag: res.headers.get("etag"), made: [...after.keys()].filter((key) => !before.has(key)) };
    }

    test("the cache stays within its bound; the least recently used variant goes, the one used since stays", async () => {
      const a = await transform("a");
      const b = await transform("b");
      expect(a.made).toHaveLength(1);
      expect(b.made).toHaveLength(1);
      expect([...(await listVariants()).keys()].sort()).toEqual([a.made[0]!, b.made[0]!].sort());

      // a again: served from the cache (nothing made), and now the more recently used of the two.
      const again = await transform("a");
      expect(again.made).toEqual([]);
      expect(again.etag).toBe(a.etag);

      // c does not fit beside both: b, the least recently used, goes; a stays.
      const c = await transform("c");
      expect(c.made).toHaveLength(1);
      expect([...(await listVariants()).keys()].sort()).toEqual([a.made[0]!, c.made[0]!].sort());

      // d: now a is the least recently used (c was made after a's last use).
      const d = await transform("d");
      expect([...(await listVariants()).keys()].sort()).toEqual([c.made[0]!, d.made[0]!].sort());

      // b, pushed out, is made again on request (a miss, not an error).
      const bAgain = await transform("b");
      expect(bAgain.made).toHaveLength(1);
      expect(bAgain.etag).toBe(b.etag);
    });
  });
}
