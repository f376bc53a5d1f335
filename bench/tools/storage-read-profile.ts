// A CPU profile of latchkey (from source, `bun --cpu-prof`) under the authenticated storage read of bench/run.ts:
// `GET /storage/m/user/<id>/a.txt` with a Bearer JWT, wrk -c32 for BENCH_SECONDS (default 8), then the top functions
// of the main thread's profile from the load's start on (bench/lib/profile-under-load.ts).
// `bun bench/tools/storage-read-profile.ts [count]`; the profile stays in bench/.work/storage-read-profile/.
import { CONNECTIONS, hbpRegister, json, wrkOnce } from "../lib/harness.ts";
import { profileUnderLoad } from "../lib/profile-under-load.ts";

await profileUnderLoad("storage-read-profile", Number(process.env.BENCH_SECONDS ?? 8), async (server) => {
  const { jwt } = await hbpRegister(server.url, 0);
  const id = JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()).sub as string;
  const form = new FormData();
  form.append("file", new Blob(["a file to read\n"], { type: "text/plain" }), "a.txt");
  await json(await fetch(`${server.url}/storage/o/user/${id}/a.txt`, { method: "POST", headers: { authorization: `Bearer ${jwt}` }, body: form }));
  return (seconds) => wrkOnce(`${server.url}/storage/m/user/${id}/a.txt`, { connections: CONNECTIONS, headers: [`authorization: Bearer ${jwt}`] }, seconds);
}, Number(process.argv[2] ?? 40));
