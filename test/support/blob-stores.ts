// The blob stores HBP storage keeps files on, for scenarios that must hold on each of them: a test file loops over
// BLOB_STORES and starts its servers with store.env(). Both stores run in either backend run (LATCHKEY_TEST_BACKEND
// picks the database). What only one store does stays in that store's own file: storage-s3-server.test.ts for S3,
// storage-full-disk.test.ts and storage-blob-store.test.ts for local disk.
import { sharedS3 } from "./s3.ts";

export interface StoreUnderTest {
  /** Names the scenarios' describe block. */
  name: string;
  kind: "disk" | "s3";
  /** Settings that put a new server's files on this store. */
  env(): Promise<Record<string, string>>;
}

export const BLOB_STORES: readonly StoreUnderTest[] = [
  { name: "local disk", kind: "disk", env: async () => ({ STORAGE_URL: "" }) },
  {
    name: "S3",
    kind: "s3",
    // A fresh bucket each, under a prefix as in a bucket shared with other data (the layout without one is checked
    // in storage-s3-server.test.ts).
    env: async () => {
      const s3 = await sharedS3();
      return s3.env(await s3.bucket(), "lk");
    },
  },
];
