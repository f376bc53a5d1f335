// A pool of worker threads for image transforms, so decoding and encoding (tens to hundreds of milliseconds of
// blocking work each) never stall the event loop that serves every other request. Workers start on first use.
import type { Logger } from "../../lib/logger.ts";
import { StorageError } from "../errors.ts";
import type { TransformSpec } from "./params.ts";
import { TransformError, type TransformFailure, type TransformOutput } from "./transform-result.ts";
import { workerModule } from "../../worker-module.ts";

export interface TransformJob {
  id: number;
  input: Uint8Array;
  spec: TransformSpec;
  maxPixels: number;
}

export type TransformReply =
  | { id: number; ok: true; bytes: Uint8Array; contentType: string; width: number; height: number }
  | { id: number; ok: false; code: TransformFailure | "failed"; message: string };

export interface TransformPool {
  /**
   * Runs one transform on a worker; rejects with TransformError for bad input, StorageError transform_busy when
   * overloaded. `readInput` is called only once a worker is free for the job, so waiting jobs hold no image bytes
   * (at most one input per worker is in memory, however many requests queue up).
   */
  run(readInput: () => Promise<Uint8Array>, spec: TransformSpec, limits: { maxPixels: number }): Promise<TransformOutput>;
  close(): void;
}

interface Pending {
  id: number;
  readInput(): Promise<Uint8Array>;
  spec: TransformSpec;
  maxPixels: number;
  resolve(output: TransformOutput): void;
  reject(error: unknown): void;
}

interface Slot {
  worker: Worker;
  job: Pending | null;
  timer: ReturnType<typeof setTimeout> | null;
}

export function createTransformPool(options: {
  size: number;
  /** Jobs waiting for a worker beyond this are refused (transform_busy) rather than queued without bound. */
  maxQueue: number;
  timeoutMs: number;
  logger: Logger;
}): TransformPool {
  const { size, maxQueue, timeoutMs, logger } = options;
  const slots: Slot[] = [];
  const queue: Pending[] = [];
  let nextId = 1;
  let closed = false;

  function spawn(): Slot {
    const worker = new Worker(workerModule("storage/images/worker.ts"));
    // An idle worker must not keep the process alive.
    worker.unref();
    const slot: Slot = { worker, job: null, timer: null };
    worker.onmessage = (event: MessageEvent<TransformReply>) => finish(slot, event.data);
    worker.onerror = (event) => replace(slot, new Error(`transform worker failed: ${event.message}`));
    return slot;
  }

  function replace(slot: Slot, error: unknown): void {
    const job = slot.job;
    if (slot.timer) clearTimeout(slot.timer);
    slot.worker.terminate();
    const index = slots.indexOf(slot);
    if (index >= 0) slots.splice(index, 1);
    job?.reject(error);
    if (!closed) pump();
  }

  function finish(slot: Slot, reply: TransformReply): void {
    const job = slot.job;
    if (!job || reply.id !== job.id) return;
    if (slot.timer) clearTimeout(slot.timer);
    slot.job = null;
    slot.timer = null;
    slot.worker.unref();
    if (reply.ok) job.resolve({ bytes: reply.bytes, contentType: reply.contentType, width: reply.width, height: reply.height });
    else if (reply.code === "failed") {
      logger.error("image transform failed", { error: reply.message });
      job.reject(new Error("image transform failed"));
    } else job.reject(new TransformError(reply.code, reply.message));
    pump();
  }

  async function dispatch(slot: Slot, pending: Pending): Promise<void> {
    let input: Uint8Array;
    try {
      input = await pending.readInput();
    } catch (error) {
      slot.job = null;
      pending.reject(error);
      pump();
      return;
    }
    if (slot.job !== pending) return; // closed meanwhile
    slot.worker.ref();
    slot.timer = setTimeout(() => {
      logger.warn("image transform timed out; restarting its worker", { timeout_ms: timeoutMs });
      replace(slot, new StorageError("transform_busy", `timed out after ${timeoutMs} ms`, { retryAfterSeconds: 5 }));
    }, timeoutMs);
    const job: TransformJob = { id: pending.id, input, spec: pending.spec, maxPixels: pending.maxPixels };
    // The input must own its whole buffer to be transferred rather than copied.
    const owned = input.byteOffset === 0 && input.byteLength === input.buffer.byteLength ? input : input.slice();
    job.input = owned;
    slot.worker.postMessage(job, [owned.buffer as ArrayBuffer]);
  }

  function pump(): void {
    while (queue.length > 0) {
      let slot = slots.find((candidate) => candidate.job === null);
      if (!slot && slots.length < size) {
        slot = spawn();
        slots.push(slot);
      }
      if (!slot) return;
      const pending = queue.shift()!;
      slot.job = pending;
      void dispatch(slot, pending);
    }
  }

  return {
    run(readInput, spec, limits) {
      if (closed) return Promise.reject(new Error("transform pool closed"));
      if (queue.length >= maxQueue) {
        return Promise.reject(new StorageError("transform_busy", "queue full", { retryAfterSeconds: 2 }));
      }
      return new Promise((resolve, reject) => {
        queue.push({ id: nextId++, readInput, spec, maxPixels: limits.maxPixels, resolve, reject });
        pump();
      });
    },
    close() {
      closed = true;
      for (const pending of queue.splice(0)) pending.reject(new Error("transform pool closed"));
      for (const slot of slots.splice(0)) {
        if (slot.timer) clearTimeout(slot.timer);
        slot.job?.reject(new Error("transform pool closed"));
        slot.worker.terminate();
      }
    },
  };
}
