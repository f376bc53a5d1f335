// nginx as the reference for a file download (bench/run.ts, bench/tools/bytes-paths.ts): one worker, like latchkey's
// one event loop, sendfile, as latchkey's file responses use it, serving a copy of `file` as /file.bin.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { WORK, freePort, mustRun, run, startServer, type Server } from "./harness.ts";

export async function startNginx(file: string, name = "nginx"): Promise<Server & { workerPid: number }> {
  const prefix = join(WORK, name);
  rmSync(prefix, { recursive: true, force: true });
  mkdirSync(join(prefix, "www"), { recursive: true });
  mkdirSync(join(prefix, "logs"), { recursive: true });
  await mustRun(["cp", file, join(prefix, "www/file.bin")]);
  const port = await freePort();
  // One worker, like latchkey's one event loop; sendfile, as latchkey's file responses use it.
  writeFileSync(
    join(prefix, "nginx.conf"),
    `worker_processes 1;
user root;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path ${prefix}/tmp;
  proxy_temp_path ${prefix}/tmp;
  fastcgi_temp_path ${prefix}/tmp;
  uwsgi_temp_path ${prefix}/tmp;
  scgi_temp_path ${prefix}/tmp;
  types { application/octet-stream bin; }
  server {
    listen 127.0.0.1:${port};
    root ${prefix}/www;
  }
}
`,
  );
  const nginx = await startServer("nginx", ["nginx", "-p", prefix, "-e", join(prefix, "logs/error.log"), "-c", join(prefix, "nginx.conf"), "-g", "daemon off;"], {
    cwd: prefix,
    env: {},
    url: `http://127.0.0.1:${port}`,
    readyPath: "/file.bin",
  });
  // The worker serves; the master only watches it.
  const workers = (await run(["pgrep", "-P", String(nginx.pid)])).stdout.trim().split("\n").filter(Boolean);
  return { ...nginx, workerPid: Number(workers[0] ?? nginx.pid) };
}
