// Admission control in front of the password-hash pool. An argon2id check costs ~57 ms of a core (19 MiB, 2
// passes); 2 cores make ~60 a second. Without a queue of ours, a flood of wrong passwords (200 connections from 50
// addresses, each refused try answered and sent again at once) piles its hashes into Bun's thread pool in arrival
// order, and the owner's right password waits behind all of them: seconds, growing with the flood. So every hash
// waits here for one of `running` places (as many as the cores: more would only queue inside Bun's pool, in
// arrival order), and:
// - the waiting hashes are kept per client address and served least recently served address first: an address
//   that has not been served for a while (the owner's, or anyone's first try) goes before every flooding address
//   that was served since, so its wait is about one hash, not the flood's queue;
// - each address may have HASH_QUEUE_PER_CLIENT hashes waiting; one more is refused at once (`rate_limited`, with
//   Retry-After), costing the server nothing;
// - HASH_QUEUE_MAX hashes wait in all; when the queue is full, the newest waiter of the longest address queue
//   makes room for an address with fewer waiting (that one is refused instead), so a flood from a few addresses
//   cannot take every place and lock the owner out; when no address has more waiting than the newcomer, the
//   newcomer is refused (`rate_limited`: HBP's 429 with Retry-After).
// Work without a known client (a call without an address: Faroe's server-to-server API without X-Client-IP, hashes
// made while registering or resetting) shares one queue with no per-address cap; HASH_QUEUE_MAX still holds.
// This is about CPU, not guessing: the guess limits (core/throttling/guesses.ts) count tries before a hash is asked for.
import { CoreError } from "../errors.ts";

export interface HashAdmission {
  /**
   * Throws `rate_limited` (with retryAfterSeconds) at once when a hash for `client` would be refused now: callers ask
   * before costly work (counting a guess), so a refused try in a flood costs nothing. `run` checks again.
   */
  assertRoom(client: string | null): void;
  /** Runs `work` (one hash) when its turn comes; `rate_limited` if there is no room for it, or if it was made room of. */
  run<T>(client: string | null, work: () => Promise<T>): Promise<T>;
}

export interface HashAdmissionSettings {
  /** HASH_QUEUE_MAX: hashes waiting in all. */
  maxWaiting: number;
  /** HASH_QUEUE_PER_CLIENT: hashes of one client address waiting. */
  maxWaitingPerClient: number;
  /** Hashes running at once (the cores). */
  running: number;
}

/** The key of work without a client address: one queue, no per-address cap. */
const UNATTRIBUTED = "";
/** Addresses whose last turn is remembered, beyond those waiting: enough that a flood's addresses are not forgotten. */
const REMEMBERED_ADDRESSES = 10_000;
/** A first guess at a hash's time (s), until one is measured: 19 MiB, 2 passes on these machines. */
const FIRST_HASH_SECONDS = 0.06;

interface Waiter {
  start(): void;
  refuse(error: CoreError): void;
}

export function createHashAdmission(settings: HashAdmissionSettings): HashAdmission {
  const { maxWaiting, maxWaitingPerClient, running: places } = settings;
  /** Waiting hashes by client; a key is present only while its queue is not empty (in the order addresses came). */
  const queues = new Map<string, Waiter[]>();
  /** Each address's last turn (a count of turns given), oldest first: Map keeps insertion order, a turn re-inserts. */
  const lastTurn = new Map<string, number>();
  let turns = 0;
  let waiting = 0;
  let running = 0;
  /** A running mean of a hash's time, for Retry-After. */
  let hashSeconds = FIRST_HASH_SECONDS;

  const keyOf = (client: string | null): string => client ?? UNATTRIBUTED;

  /** Seconds until `ahead` waiting hashes have run: what Retry-After says (at least 1). */
  function secondsFor(ahead: number): number {
    return Math.max(1, Math.ceil(((ahead + 1) * hashSeconds) / places));
  }

  /**
   * Refusals are made once per reason and Retry-After and thrown again: under a flood thousands a second are refused,
   * and a new Error each time (its stack captured) was a share of the event loop's work. They carry no request's facts.
   */
  const refusals = new Map<string, CoreError>();
  function refusal(detail: string): CoreError {
    const retryAfterSeconds = secondsFor(waiting);
    const key = `${retryAfterSeconds} ${detail}`;
    let refused = refusals.get(key);
    if (refused === undefined) {
      refused = new CoreError("rate_limited", detail, { retryAfterSeconds });
      // Retry-After stays within a few values (the queue is bounded); the bound is for a measured hash time gone wild.
      if (refusals.size < 256) refusals.set(key, refused);
    }
    return refused;
  }

  /** Why a hash for `key` cannot wait now (null: it can, perhaps by making room: see `makeRoom`). */
  function refusalFor(key: string): CoreError | null {
    if (running < places && waiting === 0) return null;
    const own = queues.get(key)?.length ?? 0;
    if (key !== UNATTRIBUTED && own >= maxWaitingPerClient) return refusal("hash queue: this address's share is full");
    if (waiting < maxWaiting) return null;
    return longestQueueOver(own) === null ? refusal("hash queue full") : null;
  }

  /** The key of the longest queue with more than `own + 1` waiting (so taking one from it is fairer), or null. */
  function longestQueueOver(own: number): string | null {
    let longest: string | null = null;
    let length = own + 1;
    for (const [key, queue] of queues) {
      if (queue.length > length) {
        longest = key;
        length = queue.length;
      }
    }
    return longest;
  }

  /** The full queue makes room: the newest waiter of the longest address queue is refused. */
  function makeRoom(own: number): void {
    const key = longestQueueOver(own)!;
    const queue = queues.get(key)!;
    const shed = queue.pop()!;
    waiting--;
    shed.refuse(refusal("hash queue full: made room for another address"));
  }

  /** The waiting key whose address was served longest ago (never served: first), in the order the queues came. */
  function nextKey(): string | null {
    let chosen: string | null = null;
    let chosenTurn = Infinity;
    for (const key of queues.keys()) {
      const turn = lastTurn.get(key) ?? -1;
      if (turn < chosenTurn) {
        chosen = key;
        chosenTurn = turn;
        if (turn === -1) break;
      }
    }
    return chosen;
  }

  function remember(key: string): void {
    lastTurn.delete(key);
    lastTurn.set(key, ++turns);
    if (lastTurn.size > REMEMBERED_ADDRESSES) lastTurn.delete(lastTurn.keys().next().value!);
  }

  function startNext(): void {
    while (running < places) {
      const key = nextKey();
      if (key === null) return;
      const queue = queues.get(key)!;
      const waiter = queue.shift()!;
      if (queue.length === 0) queues.delete(key);
      waiting--;
      waiter.start();
    }
  }

  async function runNow<T>(key: string, work: () => Promise<T>): Promise<T> {
    running++;
    remember(key);
    const startedAt = performance.now();
    try {
      return await work();
    } finally {
      hashSeconds = hashSeconds * 0.9 + ((performance.now() - startedAt) / 1000) * 0.1;
      running--;
      startNext();
    }
  }

  return {
    assertRoom(client) {
      const refused = refusalFor(keyOf(client));
      if (refused) throw refused;
    },

    run<T>(client: string | null, work: () => Promise<T>): Promise<T> {
      const key = keyOf(client);
      if (running < places && waiting === 0) return runNow(key, work);
      const refused = refusalFor(key);
      if (refused) return Promise.reject(refused);
      const own = queues.get(key)?.length ?? 0;
      if (waiting >= maxWaiting) makeRoom(own);
      return new Promise<T>((resolve, reject) => {
        const waiter: Waiter = {
          // The turn is taken (running++) by runNow itself, called at once: startNext's loop sees it.
          start: () => runNow(key, work).then(resolve, reject),
          refuse: reject,
        };
        const queue = queues.get(key);
        if (queue) queue.push(waiter);
        else queues.set(key, [waiter]);
        waiting++;
      });
    },
  };
}
