// The admin console's page in a real browser (issue 28): Debian's chromium driven by playwright-core
// (test/support/browser.ts). An administrator signs in with a TOTP code, finds one account among 100,000 seeded
// ones, ends one of its sessions and disables it (and the account's own sign-in is refused), sends a test mail to the
// test's SMTP server, and walks every page:
// no serious or critical axe-core violation on any, no script error or CSP violation, no request off 127.0.0.1, and
// a screenshot of each page at 1280x800 and 390x844 under .ci/logs/screenshots/. Runs once, on the default backend
// (test/run.sh): the accounts are seeded straight into its SQLite file.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { seedUsers } from "../bench/lib/seed-users.ts";
import { queryDatabase, TEST_BACKEND } from "./support/backend.ts";
import { launchBrowser, type TestBrowser, type TestPage } from "./support/browser.ts";
import { call } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { startSmtp, type TestSmtp } from "./support/smtp.ts";
import { encodeImage, quadrants } from "./support/images.ts";
import { upload } from "./support/storage.ts";
import { awayFromStepEdge, totpCode } from "./support/totp.ts";

const ADMIN_EMAIL = "root@console-browser.example";
const ADMIN_PASSWORD = "console-browser-password-1";
const PASSWORD = "browser-user-password-1";
const SEEDED = 100_000;
const SIZES = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
] as const;

const AXE = await Bun.file(resolve(import.meta.dir, "../node_modules/axe-core/axe.min.js")).text();

let server: TestServer;
let browser: TestBrowser;
let smtp: TestSmtp;
const backupFolder = mkdtempSync(join(tmpdir(), "latchkey-console-browser-backups-"));
/** An image uploaded through HBP's storage API, previewed on the Files page. */
const IMAGE_KEY = "public/gallery/quadrants.png";

interface Admin {
  email: string;
  password: string;
  totpSecret: string;
}
/**
 * The administrators who sign in through the page, one per sign-in: a TOTP code is accepted once per account, so a
 * second sign-in within the same 30 s would be a replay.
 */
const admins: Admin[] = [];
/** The account the administrator looks for among the seeded ones. */
const target = { email: `seed4242x-${crypto.randomUUID().slice(0, 6)}@example.com`, id: "", refresh: ["", ""] };

beforeAll(async () => {
  if (TEST_BACKEND !== "sqlite-disk") throw new Error("the console's browser test seeds SQLite: run it on the default backend");
  smtp = await startSmtp();
  server = await startServer({ ...smtp.env, ADMIN_EMAIL, ADMIN_PASSWORD, BACKUP_URL: backupFolder });
  seedUsers(join(server.dataDir, "latchkey.db"), SEEDED);
  // ADMIN_EMAIL's account, and two more administrators (the admin role given straight in the database).
  for (const index of [0, 1, 2, 3]) {
    const email = index === 0 ? ADMIN_EMAIL : `admin${index}-${crypto.randomUUID().slice(0, 6)}@console-browser.example`;
    const password = index === 0 ? ADMIN_PASSWORD : `${ADMIN_PASSWORD}-${index}`;
    if (index > 0) {
      const registered = await call(server.url, "POST", "/auth/register", { json: { email, password, cookie: false } });
      await queryDatabase(server.dataDir, "INSERT INTO user_roles (user_id, role) VALUES (?, 'admin')", [registered.body.user.id]);
    }
    // Each sets up TOTP through HBP, as the README says.
    const login = await call(server.url, "POST", "/auth/login", { json: { email, password, cookie: false } });
    const bearer = { authorization: `Bearer ${login.body.jwt_token}` };
    const totpSecret = (await call(server.url, "POST", "/auth/mfa/generate", { headers: bearer })).body.otp_secret;
    await awayFromStepEdge();
    expect((await call(server.url, "POST", "/auth/mfa/enable", { headers: bearer, json: { code: totpCode(totpSecret, -1) } })).status).toBe(204);
    admins.push({ email, password, totpSecret });
  }
  // The account to find: its address starts like a seeded one's (seed4242, seed42420 ... are seeded too).
  const registered = await call(server.url, "POST", "/auth/register", { json: { email: target.email, password: PASSWORD, cookie: false } });
  target.id = registered.body.user.id;
  target.refresh[0] = registered.body.refresh_token;
  const second = await call(server.url, "POST", "/auth/login", { json: { email: target.email, password: PASSWORD, cookie: false }, headers: { "user-agent": "second-device/1.0" } });
  target.refresh[1] = second.body.refresh_token;
  const uploaded = await upload(server.url, IMAGE_KEY, encodeImage("png", quadrants(120, 80), 120, 80), {
    headers: { authorization: `Bearer ${second.body.jwt_token}` },
    type: "image/png",
  });
  expect(uploaded.status).toBe(200);
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.close();
  rmSync(backupFolder, { recursive: true, force: true });
});

/** axe-core's serious and critical violations on the page as it is (axe is put in through the DevTools protocol: the CSP refuses inline scripts). */
async function accessibilityProblems(tab: TestPage): Promise<string[]> {
  await tab.page.evaluate(`${AXE};undefined`);
  const violations = (await tab.page.evaluate("axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)")) as {
    id: string;
    impact: string;
    nodes: { target: string[] }[];
  }[];
  return violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`);
}

/**
 * The page's script errors and console errors, but for the one a signed-out page makes by design: its first call
 * (GET /console/api/session) answers 401 before signing in, and the browser logs every failed request.
 */
function scriptProblems(tab: TestPage): string[] {
  const problems = tab.problems();
  const probes = problems.filter((problem) => problem.endsWith("the server responded with a status of 401 (Unauthorized)"));
  expect(probes.length).toBeLessThanOrEqual(1);
  return problems.filter((problem) => !probes.includes(problem));
}

/** Signs in through the page: the password, then the TOTP code. */
async function signIn(tab: TestPage, admin: Admin, options: { screenshots?: string } = {}): Promise<void> {
  const { page } = tab;
  if (!(await page.getByLabel("Email or username").isVisible())) await page.goto(`${server.url}/console`);
  await page.getByLabel("Email or username").fill(admin.email);
  await page.getByLabel("Password").fill(admin.password);
  if (options.screenshots) await tab.screenshot(`console-sign-in-${options.screenshots}`);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Two-factor code").waitFor();
  if (options.screenshots) await tab.screenshot(`console-totp-${options.screenshots}`);
  await awayFromStepEdge(3_000);
  await page.getByLabel("Two-factor code").fill(totpCode(admin.totpSecret));
  await page.getByRole("button", { name: "Verify" }).click();
  await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
}

test(
  "sign in with TOTP, find one account among 100,000, end one of its sessions, disable it: its sign-in is refused",
  async () => {
    const tab = await browser.newPage();
    const { page } = tab;
    try {
      await signIn(tab, admins[0]!);
      await page.getByRole("link", { name: "Users" }).click();
      await page.getByRole("heading", { level: 1, name: "Users" }).waitFor();
      // Every account, newest first: the page lists 25 of them, and offers the next page.
      expect(await page.locator("tbody tr").count()).toBe(25);
      await page.getByLabel("Address, username or id").fill("seed4242");
      await page.getByRole("button", { name: "Search" }).click();
      // seed4242@, seed42420@ ... seed42429@ (11 seeded addresses), then the registered one (seed4242x-...).
      await page.getByRole("region", { name: "Matching accounts" }).waitFor();
      expect(await page.locator("tbody tr").count()).toBe(12);
      await page.getByRole("link", { name: target.email }).click();
      await page.getByRole("heading", { level: 1, name: target.email }).waitFor();

      // Two live sessions; end the second device's.
      const sessions = page.getByRole("region", { name: "Live sessions" }).locator("tbody tr");
      expect(await sessions.count()).toBe(2);
      await sessions.filter({ hasText: "second-device/1.0" }).getByRole("button", { name: /^End the session/ }).click();
      // The status line ("Done: " is its style's prefix) says what happened.
      await page.getByRole("status").filter({ hasText: "The session is ended." }).waitFor();
      expect(await page.getByRole("region", { name: "Live sessions" }).locator("tbody tr").count()).toBe(1);
      expect((await call(server.url, "GET", `/auth/token/refresh?refresh_token=${target.refresh[1]}`)).status).toBe(401);
      expect((await call(server.url, "GET", `/auth/token/refresh?refresh_token=${target.refresh[0]}`)).status).toBe(200);

      page.once("dialog", (dialog) => void dialog.accept());
      await page.getByRole("button", { name: "Disable", exact: true }).click();
      await page.getByRole("button", { name: "Enable", exact: true }).waitFor();
      expect(await page.getByText("disabled", { exact: true }).count()).toBeGreaterThan(0);
      const refused = await call(server.url, "POST", "/auth/login", { json: { email: target.email, password: PASSWORD, cookie: false } });
      expect(refused.status).toBe(401);
      expect(refused.body.message).toBe("Account is disabled.");

      // The audit log shows both, newest first.
      await page.getByRole("link", { name: "Audit log" }).click();
      await page.getByRole("heading", { level: 1, name: "Audit log" }).waitFor();
      const actions = await page.locator("tbody tr td:nth-child(3)").allTextContents();
      expect(actions.slice(0, 3)).toEqual(["user_disabled", "session_revoked", "sign_in"]);

      // A test mail, to the SMTP server of this test, with the server's answer shown.
      await page.getByRole("link", { name: "Mail" }).click();
      await page.getByRole("heading", { level: 1, name: "Mail" }).waitFor();
      const to = `console-test-${crypto.randomUUID().slice(0, 6)}@example.com`;
      await page.getByLabel("Send a test mail to").fill(to);
      await page.getByRole("button", { name: "Send test mail" }).click();
      expect((await smtp.waitFor(to)).subject).toBe("latchkey test mail");
      await page.getByRole("status").filter({ hasText: `Test mail sent to ${to}` }).waitFor();

      // A backup now, to BACKUP_URL, listed with a download link.
      await page.getByRole("link", { name: "Backups" }).click();
      await page.getByRole("heading", { level: 1, name: "Backups" }).waitFor();
      await page.getByRole("button", { name: "Back up now" }).click();
      await page.getByRole("status").filter({ hasText: /^Backup latchkey-backup-\S+ made/ }).waitFor();
      expect(await page.getByRole("region", { name: "Backups at the destination, newest first" }).getByRole("link").count()).toBe(1);

      expect(scriptProblems(tab)).toEqual([]);
      expect(tab.requests.offLoopback()).toEqual([]);
    } finally {
      await tab.close();
    }
  },
  120_000,
);

test(
  "a page whose answer comes late does not replace the page opened after it, nor take the focus from it",
  async () => {
    const tab = await browser.newPage();
    const { page } = tab;
    try {
      await signIn(tab, admins[3]!);
      // Signing in draws the overview once: a second drawing would replace the page under the administrator's hands.
      const overviews = () => tab.requests.all().filter((request) => new URL(request.url).pathname === "/console/api/overview").length;
      expect(overviews()).toBe(1);
      // The Users page's answer is held back until the Security events page, asked for after it, is shown.
      let release = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      let held = () => {};
      const holding = new Promise<void>((resolve) => (held = resolve));
      await page.route(
        (url) => url.pathname === "/console/api/users",
        async (route) => {
          held();
          await released;
          await route.continue();
        },
      );
      await page.getByRole("link", { name: "Users" }).click();
      await holding;
      await page.getByRole("link", { name: "Security events" }).focus();
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { level: 1, name: "Security events" }).waitFor();
      const usersAnswer = page.waitForResponse((response) => new URL(response.url()).pathname === "/console/api/users");
      release();
      await (await usersAnswer).finished();
      // The late Users page is dropped: its heading never comes (the old page drew it within milliseconds of its answer).
      expect(await page.getByRole("heading", { level: 1, name: "Users" }).waitFor({ timeout: 3_000 }).then(() => "drawn", () => "dropped")).toBe("dropped");
      expect(await page.evaluate("document.activeElement.textContent")).toBe("Security events");
      expect(scriptProblems(tab)).toEqual([]);
    } finally {
      await tab.close();
    }
  },
  120_000,
);

test(
  "every page, at 1280x800 and 390x844: no serious or critical axe violation, no script error, nothing off 127.0.0.1, a screenshot",
  async () => {
    const problems: string[] = [];
    for (const size of SIZES) {
      const label = `${size.width}x${size.height}`;
      const tab = await browser.newPage({ viewport: size });
      const { page } = tab;
      try {
        await page.goto(`${server.url}/console`);
        await page.getByLabel("Email or username").waitFor();
        problems.push(...(await accessibilityProblems(tab)).map((problem) => `sign-in ${label}: ${problem}`));
        // Keyboard: the address field has the focus, and the skip link comes before it.
        expect(await page.evaluate("document.activeElement.id")).toBe("email");
        await page.keyboard.press("Shift+Tab");
        expect(await page.evaluate("document.activeElement.textContent")).toBe("Skip to content");
        await signIn(tab, admins[SIZES.indexOf(size) + 1]!, { screenshots: label });
        // The navigation works from the keyboard: a link focused and Enter pressed opens its page, focus on its heading.
        await page.getByRole("link", { name: "Security events" }).focus();
        await page.keyboard.press("Enter");
        await page.getByRole("heading", { level: 1, name: "Security events" }).waitFor();
        expect(await page.evaluate("document.activeElement.tagName")).toBe("H1");
        const pages: [string, string, string][] = [
          ["overview", "#/", "Overview"],
          ["users", "#/users?q=seed4242", "Users"],
          ["user", `#/users/${target.id}`, target.email],
          ["files", "#/files?folder=public/gallery/", "Files in public/gallery/"],
          ["backups", "#/backups", "Backups"],
          ["security-events", "#/events", "Security events"],
          ["mail", "#/mail", "Mail"],
          ["audit", "#/audit", "Audit log"],
          ["settings", "#/settings", "Settings"],
        ];
        for (const [name, hash, heading] of pages) {
          await page.goto(`${server.url}/console${hash}`);
          await page.getByRole("heading", { level: 1, name: heading }).waitFor();
          if (name === "files") {
            // The uploaded image is previewed: its thumbnail (the transform cache's ?w=160 variant: 160 wide, the height in proportion) has loaded.
            const preview = page.getByRole("img", { name: "Preview of quadrants.png" });
            await preview.waitFor();
            // Read through the DevTools protocol (page.evaluate): the page's CSP refuses the eval waitForFunction needs.
            const loaded = "[...document.querySelectorAll('img.thumb')].every((img) => img.complete && img.naturalWidth > 0)";
            for (let tries = 0; tries < 100 && !(await page.evaluate(loaded)); tries++) await Bun.sleep(100);
            expect(await page.evaluate("(() => { const img = document.querySelector('img.thumb'); return [img.naturalWidth, img.naturalHeight]; })()")).toEqual([160, 107]);
          }
          problems.push(...(await accessibilityProblems(tab)).map((problem) => `${name} ${label}: ${problem}`));
          await tab.screenshot(`console-${name}-${label}`);
        }
        expect(scriptProblems(tab)).toEqual([]);
        expect(tab.requests.offLoopback()).toEqual([]);
        expect(tab.requests.all().length).toBeGreaterThan(10);
      } finally {
        await tab.close();
      }
    }
    expect(problems).toEqual([]);
  },
  180_000,
);

test("the page's headers: a strict CSP with no inline script, no framing", async () => {
  const res = await fetch(`${server.url}/console`);
  const csp = res.headers.get("content-security-policy") ?? "";
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain("unsafe-inline");
  expect(res.headers.get("x-frame-options")).toBe("DENY");
  const html = await res.text();
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  expect(html).not.toMatch(/\sstyle=/);
});
