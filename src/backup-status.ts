// When the last backup of this process succeeded: what /metrics shows as the backup's age. Kept by the server's
// schedule (backup-schedule.ts); one per server. `onSuccess` tells /metrics (src/metrics.ts) as it happens.

export interface BackupStatus {
  /** When the last successful backup finished (ms since the epoch); null: none yet in this process. */
  lastSuccessAtMs(): number | null;
  /** When the last backup failed (ms since the epoch); null: none has. */
  lastFailureAtMs(): number | null;
  recordSuccess(finishedAtMs: number): void;
  recordFailure(failedAtMs: number): void;
}

export function createBackupStatus(options: { onSuccess?: (finishedAtMs: number) => void } = {}): BackupStatus {
  let success: number | null = null;
  let failure: number | null = null;
  return {
    lastSuccessAtMs: () => success,
    lastFailureAtMs: () => failure,
    recordSuccess(finishedAtMs) {
      success = finishedAtMs;
      options.onSuccess?.(finishedAtMs);
    },
    recordFailure(failedAtMs) {
      failure = failedAtMs;
    },
  };
}
