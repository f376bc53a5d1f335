// What an account owns outside core's tables, which must go when the account goes: today storage's files (rows,
// bytes and image variants). Core declares the port and calls it; storage implements it (src/storage/file-removal.ts),
// and whoever builds core (server.ts, the CLI) hands that implementation in, so core never imports storage.
export interface OwnedData {
  /**
   * Removes everything `userId` owns. Called while the account still exists (already disabled, so no credential of
   * it is admitted any more), before its row is deleted; safe to call again after a crash midway.
   */
  removeAllOf(userId: string): Promise<void>;
}
