// The tests' own process helper (test/support/process.ts), which every server the tests start goes through: a line
// is seen as soon as it is printed, and an exit or a deadline fails the wait with what the process printed.
import { expect, test } from "bun:test";
import { runProcess, spawnProcess } from "./support/process.ts";

const sh = (script: string) => ["sh", "-c", script];

test("runProcess: the exit code, stdout and stderr apart, and stdin from a file", async () => {
  expect(await runProcess(sh("echo out; echo err >&2; exit 3"))).toEqual({ exitCode: 3, stdout: "out\n", stderr: "err\n" });
  const fromStdin = await runProcess(["cat"], { stdin: new Blob(["piped in"]) });
  expect(fromStdin).toEqual({ exitCode: 0, stdout: "piped in", stderr: "" });
});

test("runProcess: only the given environment reaches the child", async () => {
  const result = await runProcess(sh("echo ${ONLY_THIS:-unset} ${HOME:-no-home}"), { env: { ONLY_THIS: "given", PATH: process.env.PATH } });
  expect(result.stdout).toBe("given no-home\n");
});

test("runProcess: a command still running at its deadline is killed, and the error carries its output", async () => {
  const started = performance.now();
  const error = await runProcess(sh("echo started; exec sleep 30"), { timeoutMs: 300, name: "sleeper" }).catch((caught: Error) => caught);
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message).toBe("sleeper was still running after 300 ms:\nstarted\n");
  expect(performance.now() - started).toBeLessThan(5_000);
});

test("waitFor: the match as soon as the line is printed, also split across writes and streams", async () => {
  const child = spawnProcess(sh("printf 'listen'; sleep 0.2; printf 'ing on 4242\\n' ; echo other >&2; exec sleep 30"));
  try {
    const [line, port] = await child.waitFor(/listening on (\d+)/, 5_000);
    expect([line, port]).toEqual(["listening on 4242", "4242"]);
    expect(await child.waitFor("other", 5_000)).toHaveLength(1);
    expect(child.stdout()).toBe("listening on 4242\n");
    expect(child.stderr()).toBe("other\n");
  } finally {
    await child.stop();
  }
});

test("waitFor: a process that exits without the line fails the wait at once, with its exit code and output", async () => {
  const child = spawnProcess(sh("echo 'cannot listen: address in use' >&2; exit 1"), { name: "server" });
  const started = performance.now();
  const error = (await child.waitFor("listening", 20_000).catch((caught: Error) => caught)) as Error;
  expect(error.message).toBe("server exited (1) without printing /listening/:\ncannot listen: address in use\n");
  expect(performance.now() - started).toBeLessThan(5_000);
  expect(child.exitCode()).toBe(1);
});

test("waitFor: a line that never comes fails after the deadline; the process keeps running", async () => {
  const child = spawnProcess(sh("echo almost; exec sleep 30"), { name: "slow" });
  try {
    const error = (await child.waitFor("ready", 200).catch((caught: Error) => caught)) as Error;
    expect(error.message).toBe("slow printed no /ready/ within 200 ms:\nalmost\n");
    expect(child.exitCode()).toBeNull();
  } finally {
    expect(await child.stop("SIGKILL")).toBe(137);
  }
});

test("stop: the signal reaches the process, which may answer it; closeStdin ends a child reading its input", async () => {
  const trapping = spawnProcess(sh("trap 'echo got TERM; exit 0' TERM; echo ready; while :; do sleep 0.05; done"));
  await trapping.waitFor("ready", 5_000);
  expect(await trapping.stop("SIGTERM")).toBe(0);
  expect(trapping.output()).toBe("ready\ngot TERM\n");

  const reading = spawnProcess(sh("cat >/dev/null; echo stdin closed"), { stdin: "pipe" });
  reading.closeStdin();
  expect(await reading.finished()).toBe(0);
  expect(reading.output()).toBe("stdin closed\n");
});
