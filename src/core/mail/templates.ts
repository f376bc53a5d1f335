// Mail templates: built in, each part overridable by a file in EMAIL_TEMPLATES_DIR/<template>/
// (subject.txt, text.txt, html.html). `{{name}}` is replaced by a variable; in HTML the value is escaped.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Every template's name. */
export const TEMPLATE_NAMES = [
  "activate-account",
  "lost-password",
  "change-email",
  "email-changed",
  "magic-link-log-in",
  "magic-link-register",
  "email-otp",
] as const satisfies readonly TemplateName[];

export type TemplateName =
  | "activate-account"
  | "lost-password"
  | "change-email"
  | "email-changed"
  | "magic-link-log-in"
  | "magic-link-register"
  | "email-otp";

export interface Template {
  subject: string;
  text: string;
  html: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const BUILT_IN: Record<TemplateName, Template> = {
  "activate-account": {
    subject: "Activate your account",
    text: "Welcome!\n\nOpen this link to activate your account for {{email}}:\n\n{{link}}\n\nThe link works once and expires in one hour. If you did not sign up, ignore this mail.\n",
    html: '<p>Welcome!</p><p>Open this link to activate your account for {{email}}:</p><p><a href="{{link}}">Activate my account</a></p><p>The link works once and expires in one hour. If you did not sign up, ignore this mail.</p>',
  },
  "lost-password": {
    subject: "Reset your password",
    text: "Somebody asked to reset the password of {{email}}. If it was you, open this link to choose a new one:\n\n{{link}}\n\nThe link works once and expires in one hour. If it was not you, ignore this mail; your password stays as it is.\n",
    html: '<p>Somebody asked to reset the password of {{email}}. If it was you, open this link to choose a new one:</p><p><a href="{{link}}">Reset my password</a></p><p>The link works once and expires in one hour. If it was not you, ignore this mail; your password stays as it is.</p>',
  },
  "change-email": {
    subject: "Change your email address",
    text: "Open this link to make {{email}} the address of your account:\n\n{{link}}\n\nThe link works once and expires in one hour. If you did not ask for this, ignore this mail.\n",
    html: '<p>Open this link to make {{email}} the address of your account:</p><p><a href="{{link}}">Confirm my new address</a></p><p>The link works once and expires in one hour. If you did not ask for this, ignore this mail.</p>',
  },
  "email-changed": {
    subject: "Your email address was changed",
    text: "The address of your account was changed from {{email}} to {{new_email}}. If you did not do this, contact the administrator at once.\n",
    html: "<p>The address of your account was changed from {{email}} to {{new_email}}. If you did not do this, contact the administrator at once.</p>",
  },
  "magic-link-log-in": {
    subject: "Your sign-in link",
    text: "Open this link to sign in as {{email}}:\n\n{{link}}\n\nThe link works once and expires soon. If you did not ask for it, ignore this mail.\n",
    html: '<p>Open this link to sign in as {{email}}:</p><p><a href="{{link}}">Sign in</a></p><p>The link works once and expires soon. If you did not ask for it, ignore this mail.</p>',
  },
  "email-otp": {
    subject: "Your verification code",
    text: "Your code to verify {{email}} is {{code}}. It expires in 5 minutes. If you did not ask for it, ignore this mail.\n",
    html: "<p>Your code to verify {{email}} is <strong>{{code}}</strong>. It expires in 5 minutes. If you did not ask for it, ignore this mail.</p>",
  },
  "magic-link-register": {
    subject: "Confirm your account",
    text: "Welcome! Open this link to confirm your account for {{email}} and sign in:\n\n{{link}}\n\nThe link works once and expires in one hour. If you did not sign up, ignore this mail.\n",
    html: '<p>Welcome! Open this link to confirm your account for {{email}} and sign in:</p><p><a href="{{link}}">Confirm and sign in</a></p><p>The link works once and expires in one hour. If you did not sign up, ignore this mail.</p>',
  },
};

const FILES: Record<keyof Template, string> = { subject: "subject.txt", text: "text.txt", html: "html.html" };

export function loadTemplates(overrideDir: string | null): Record<TemplateName, Template> {
  const templates = structuredClone(BUILT_IN);
  if (!overrideDir) return templates;
  for (const name of Object.keys(templates) as TemplateName[]) {
    for (const part of Object.keys(FILES) as (keyof Template)[]) {
      const file = join(overrideDir, name, FILES[part]);
      if (existsSync(file)) templates[name][part] = readFileSync(file, "utf8");
    }
  }
  return templates;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function fill(text: string, variables: Record<string, string>, escape: (value: string) => string): string {
  return text.replace(/\{\{\s*([a-zA-Z_]+)\s*\}\}/g, (match, name: string) =>
    name in variables ? escape(variables[name]!) : match,
  );
}

export function render(template: Template, variables: Record<string, string>): RenderedMail {
  return {
    subject: fill(template.subject, variables, (value) => value).replace(/[\r\n]+/g, " ").trim(),
    text: fill(template.text, variables, (value) => value),
    html: fill(template.html, variables, escapeHtml),
  };
}
