#!/usr/bin/env bun
// Command line: `latchkey [serve]`, `latchkey migrate`, `latchkey user ...`, `latchkey export|import`,
// `latchkey mail test <address>`, `latchkey config check`, `latchkey [<command>] --help`, `latchkey --version`;
// `--data-dir <dir>` anywhere.
import { loadConfig, type Config, type Env } from "./config.ts";
import { ConfigError } from "./lib/errors.ts";
import { consoleLogger, createLogger } from "./lib/logger.ts";
import { openDatabase, type DatabaseLocation } from "./db/client.ts";
import { NewerSchemaError } from "./db/newer-schema.ts";
import { AddressInUseError, createLatchkey, dataPaths, serve, type Latchkey } from "./server.ts";
import { USER_HELP, userCommand } from "./cli/user-command.ts";
import { EXPORT_HELP, exportCommand } from "./cli/export.ts";
import { IMPORT_HELP, importCommand } from "./cli/import.ts";
import { MAIL_HELP, mailCommand } from "./cli/mail-command.ts";
import { HEALTHCHECK_HELP, healthcheckCommand } from "./cli/healthcheck.ts";
import { BACKUP_HELP, RESTORE_HELP, backupCommand, backupSettings, restoreCommand } from "./cli/backup-command.ts";
import { VERSION } from "./version.ts";
import { takeGlobalOptions, UsageError } from "./cli/arguments.ts";
import { CONFIG_HELP, configCheckCommand, settingWarnings } from "./cli/config-check.ts";
import { commandHelp, docsPointer, GLOBAL_OPTIONS_HELP } from "./cli/help.ts";
import { keepNewFilesPrivate, openDataDir } from "./data-dir.ts";
import { existsSync } from "node:fs";
import { ephemeralDataDir } from "./ephemeral.ts";
import { applySeed, readSeed, type Seed } from "./seed.ts";
import { parseArguments } from "./cli/arguments.ts";

const HELP = `latchkey ${VERSION}: self-hosted auth and file storage in one executable

Usage:
  latchkey [serve]                   start the server (default); migrations are applied at start-up
    [--ephemeral] [--seed <file>]    for tests: a temporary data directory removed at exit; users and files made at start
  latchkey migrate                   apply database migrations and exit
${USER_HELP.replace(/^/gm, "  ")}
${EXPORT_HELP.replace(/^/gm, "  ")}
${IMPORT_HELP.replace(/^/gm, "  ")}
${MAIL_HELP.replace(/^/gm, "  ")}
${HEALTHCHECK_HELP.replace(/^/gm, "  ")}
${CONFIG_HELP.replace(/^/gm, "  ")}
${BACKUP_HELP.replace(/^/gm, "  ")}
${RESTORE_HELP.replace(/^/gm, "  ")}
  latchkey --version                 print the version
  latchkey --help                    print this help; latchkey <command> --help: that command's

${GLOBAL_OPTIONS_HELP}

Settings come from the environment (and a .env file in the working folder); \`latchkey config check\` prints them.
With none, latchkey listens on port 3000 and keeps everything in ./data.
`;

/**
 * The binary starts with JavaScriptCore's tier-up thresholds raised (build.ts, `compile.jitPolicy`): what runs only
 * while the server starts (the modules' top level, migrations, building the routes) stays in the interpreter instead
 * of being compiled, and the compilers' memory is not taken for it (bench/README.md, "Idle RSS"). Once latchkey
 * listens, and for every other command (an export or import loops over every row), the normal policy is back, so
 * what requests run is compiled as soon as ever. From source the policy is the normal one already.
 */
function normalJitPolicy(): void {
  Bun.unsafe.setJITPolicy(1);
}

/** Creates the data directory (0700), warning when an existing one is open to other users. */
function prepareDataDir(config: Config): void {
  openDataDir(config.server.dataDir, dataPaths(config.server.dataDir).database, consoleLogger);
}

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
  // A database a newer latchkey migrated (rollback without its backup): exit 1, naming this binary's version.
  if (error instanceof NewerSchemaError) {
    console.error(`latchkey ${VERSION}: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

/** The settings: the environment (Bun has merged a .env file of the working folder into it), then the command line's. */
function readSettings(overrides: Env): Config {
  try {
    return loadConfig({ ...process.env, ...overrides });
  } catch (error) {
    exitOnConfigError(error);
  }
}

async function startServing(config: Config, options: { seed?: { file: string; seed: Seed } } = {}): Promise<void> {
  const logger = createLogger(config.log);
  openDataDir(config.server.dataDir, dataPaths(config.server.dataDir).database, logger);
  let latchkey: Latchkey;
  try {
    // Keys are parsed here: a JWT_KEY that is not a usable PEM is a configuration problem too.
    latchkey = await createLatchkey(config, { logger, settingWarnings: settingWarnings({ ...process.env }, config) });
  } catch (error) {
    exitOnConfigError(error);
  }
  // --seed: applied before the server listens, so no request sees a half-prepared state.
  if (options.seed) {
    try {
      await applySeed(options.seed.seed, {
        core: latchkey.core,
        storage: latchkey.storage,
        adminSecret: config.auth.adminSecret,
        defaultAllowedRoles: [...config.auth.defaultAllowedUserRoles],
        logger,
        file: options.seed.file,
      });
    } catch (error) {
      await latchkey.close();
      exitOnConfigError(error);
    }
  }
  let running: ReturnType<typeof serve> | undefined;
  const shutdown = (signal: string) => {
    logger.info("shutting down", { signal });
    // Not listening yet: end as the signal would have (128 + its number).
    if (running === undefined) process.exit(signal === "SIGINT" ? 130 : 143);
    running.stop().finally(() => process.exit(0));
  };
  // Before the start-up line: a harness may signal as soon as it reads it, and a signal that came before the
  // handlers were in place ended the process without a clean stop (exit 130, an --ephemeral folder left behind).
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  try {
    running = serve(latchkey, config, logger);
    normalJitPolicy();
  } catch (error) {
    if (!(error instanceof AddressInUseError)) throw error;
    console.error(`latchkey: cannot listen: ${error.message}`);
    await latchkey.close();
    process.exit(1);
  }
}

function main(argv: string[]): void {
  keepNewFilesPrivate();
  let args: string[];
  const overrides: Env = {};
  try {
    const global = takeGlobalOptions(argv);
    args = global.rest;
    if (global.dataDir !== null) overrides.DATA_DIR = global.dataDir;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`latchkey: ${error.message}`);
    process.exit(2);
  }
  // `latchkey --ephemeral` and `latchkey --seed f`: serve's options without the word serve.
  if (args[0] === "--ephemeral" || args[0] === "--seed" || args[0]?.startsWith("--seed=")) args = ["serve", ...args];
  const command = args[0] ?? "serve";
  if (command !== "serve") normalJitPolicy();
  const page = args.slice(1).some((word) => word === "--help" || word === "-h") ? commandHelp(command, { ...process.env, ...overrides }) : null;
  if (page !== null) {
    process.stdout.write(page);
    return;
  }
  const readConfig = () => readSettings(overrides);
  switch (command) {
    case "--help":
    case "-h":
    case "help":
      process.stdout.write(`${HELP}\n${docsPointer({ ...process.env, ...overrides })}\n`);
      return;
    case "--version":
    case "-v":
      console.log(VERSION);
      return;
    case "migrate": {
      const config = readConfig();
      prepareDataDir(config);
      void (async () => {
        const database = await openDatabase(databaseLocation(config));
        const applied = await database.migrate();
        await database.close();
        console.log(applied.length > 0 ? `applied ${applied.join(", ")}` : "database is up to date");
      })().catch(exitOnConfigError);
      return;
    }
    case "serve": {
      let seed: { file: string; seed: Seed } | undefined;
      try {
        const options = parseArguments(args.slice(1), { flags: ["--ephemeral"], values: ["--seed"] });
        if (options.positional.length > 0) throw new UsageError(`serve takes no argument "${options.positional[0]}"`);
        // Before anything is opened: a bad seed file stops the start with exit 2 and leaves nothing behind.
        const seedFile = options.values.get("--seed")?.at(-1);
        if (seedFile !== undefined) seed = { file: seedFile, seed: readSeed(seedFile) };
        if (options.flags.has("--ephemeral")) overrides.DATA_DIR = ephemeralDataDir({ ...process.env, ...overrides });
      } catch (error) {
        if (!(error instanceof UsageError)) exitOnConfigError(error);
        console.error(`latchkey: ${error.message}`);
        process.exit(2);
      }
      void startServing(readConfig(), { seed });
      return;
    }
    case "user": {
      const config = readConfig();
      // The permission warning for a folder that is there; none is created (cli/existing-database.ts refuses then).
      if (existsSync(config.server.dataDir)) prepareDataDir(config);
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
      prepareDataDir(config);
      void importCommand(databaseLocation(config), args.slice(1)).then((code) => process.exit(code), exitOnConfigError);
      return;
    }
    case "mail": {
      const config = readConfig();
      void mailCommand(config, dataPaths(config.server.dataDir).outbox, args.slice(1)).then((code) => process.exit(code), exitOnConfigError);
      return;
    }
    case "healthcheck": {
      void healthcheckCommand(readConfig().server, args.slice(1)).then((code) => process.exit(code));
      return;
    }
    case "config": {
      process.exit(configCheckCommand(process.env, overrides, args.slice(1)));
      return;
    }
    case "backup": {
      Object.assign(overrides, backupSettings(args.slice(1)));
      const config = readConfig();
      void backupCommand(config, args.slice(1)).then((code) => process.exit(code), exitOnConfigError);
      return;
    }
    case "restore": {
      const config = readConfig();
      void restoreCommand(config, args.slice(1)).then((code) => process.exit(code), exitOnConfigError);
      return;
    }
    default:
      console.error(`latchkey: unknown command "${command}"\n\n${HELP}`);
      process.exit(2);
  }
}

main(process.argv.slice(2));
