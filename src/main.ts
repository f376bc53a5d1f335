#!/usr/bin/env bun
// Command line: `latchkey [serve]`, `latchkey migrate`, `latchkey user ...`, `latchkey export|import`,
// `latchkey mail test <address>`, `latchkey --help`, `latchkey --version`.
import { ConfigError, loadConfigFromEnvironment, type Config } from "./config.ts";
import { consoleLogger } from "./core/logger.ts";
import { openDatabase, type DatabaseLocation } from "./db/client.ts";
import { createLatchkey, dataPaths, serve, type Latchkey } from "./server.ts";
import { USER_HELP, userCommand } from "./cli/user-command.ts";
import { EXPORT_HELP, exportCommand } from "./cli/export.ts";
import { IMPORT_HELP, importCommand } from "./cli/import.ts";
import { MAIL_HELP, mailCommand } from "./cli/mail-command.ts";
import { VERSION } from "./version.ts";
import { mkdirSync } from "node:fs";

const HELP = `latchkey ${VERSION}: self-hosted auth and file storage in one executable

Usage:
  latchkey [serve]                   start the server (default); migrations are applied at start-up
  latchkey migrate                   apply database migrations and exit
${USER_HELP.replace(/^/gm, "  ")}
${EXPORT_HELP.replace(/^/gm, "  ")}
${IMPORT_HELP.replace(/^/gm, "  ")}
${MAIL_HELP.replace(/^/gm, "  ")}
  latchkey --version                 print the version
  latchkey --help                    print this help

Settings come from the environment (and a .env file in the working folder); see README.md.
With none, latchkey listens on port 3000 and keeps everything in ./data.
`;

/** DATABASE_URL, or the SQLite file in the data directory. */
function databaseLocation(config: Config): DatabaseLocation {
  return { url: config.database.url, sqliteFile: dataPaths(config.server.dataDir).database };
}

/** A configuration problem ends the process with exit code 2 and the message; anything else is rethrown. */
function exitOnConfigError(error: unknown): never {
  if (error instanceof ConfigError) {
    console.error(`latchkey: ${error.message}`);
    process.exit(2);
  }
  throw error;
}

function readConfig(): Config {
  try {
    return loadConfigFromEnvironment();
  } catch (error) {
    exitOnConfigError(error);
  }
}

async function startServing(config: Config): Promise<void> {
  let latchkey: Latchkey;
  try {
    // Keys are parsed here: a JWT_KEY that is not a usable PEM is a configuration problem too.
    latchkey = await createLatchkey(config);
  } catch (error) {
    exitOnConfigError(error);
  }
  const running = serve(latchkey, config);
  const shutdown = (signal: string) => {
    consoleLogger.info("shutting down", { signal });
    running.stop().finally(() => process.exit(0));
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

function main(args: string[]): void {
  const command = args[0] ?? "serve";
  switch (command) {
    case "--help":
    case "-h":
    case "help":
      process.stdout.write(HELP);
      return;
    case "--version":
    case "-v":
      console.log(VERSION);
      return;
    case "migrate": {
      const config = readConfig();
      mkdirSync(config.server.dataDir, { recursive: true });
      void (async () => {
        const database = await openDatabase(databaseLocation(config));
        const applied = await database.migrate();
        await database.close();
        console.log(applied.length > 0 ? `applied ${applied.join(", ")}` : "database is up to date");
      })().catch(exitOnConfigError);
      return;
    }
    case "serve": {
      void startServing(readConfig());
      return;
    }
    case "user": {
      const config = readConfig();
      mkdirSync(config.server.dataDir, { recursive: true });
      void userCommand(config, databaseLocation(config), args.slice(1)).then((code) => process.exit(code), exitOnConfigError);
      return;
    }
    case "export": {
      const config = readConfig();
      void exportCommand(databaseLocation(config), args.slice(1)).then((code) => process.exit(code), exitOnConfigError);
      return;
    }
    case "import": {
      const config = readConfig();
      mkdirSync(config.server.dataDir, { recursive: true });
      void importCommand(databaseLocation(config), args.slice(1)).then((code) => process.exit(code), exitOnConfigError);
      return;
    }
    case "mail": {
      const config = readConfig();
      void mailCommand(config, dataPaths(config.server.dataDir).outbox, args.slice(1)).then((code) => process.exit(code), exitOnConfigError);
      return;
    }
    default:
      console.error(`latchkey: unknown command "${command}"\n\n${HELP}`);
      process.exit(2);
  }
}

main(process.argv.slice(2));
