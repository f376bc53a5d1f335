// The pages mailed links open when no PASSWORD_RESET_URL / EMAIL_CHANGE_URL points to the app's own: a small form
// that posts the ticket to the JSON route beside it. No external assets, so they work on a closed network.
import { isUuid } from "../../lib/ids.ts";

const STYLE =
  "body{font:16px system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem}input,button{font:inherit;width:100%;padding:.5rem;margin:.3rem 0;box-sizing:border-box}#out{margin-top:1rem}";

function page(title: string, form: string, script: string): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title><style>${STYLE}</style></head><body><h1>${title}</h1>${form}<p id="out" role="status"></p><script>${script}</script></body></html>`;
  return new Response(html, {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; form-action 'none'",
    },
  });
}

function invalid(title: string): Response {
  const response = page(title, "<p>This link is not valid. Ask for a new one.</p>", "");
  return new Response(response.body, { status: 400, headers: response.headers });
}

/** Posts `fields` as JSON to the page's own path and shows the outcome. */
function submitScript(fields: string): string {
  return `document.querySelector("form").onsubmit=async e=>{e.preventDefault();const o=document.getElementById("out");const r=await fetch(location.pathname,{method:"POST",headers:{"content-type":"application/json"},body:JSON.stringify(${fields})});o.textContent=r.ok?"Done.":((await r.json().catch(()=>({}))).message||"Something went wrong.")}`;
}

export function resetPasswordPage(ticket: string | undefined): Response {
  const title = "Choose a new password";
  if (!ticket || !isUuid(ticket)) return invalid(title);
  return page(
    title,
    `<form><input type="password" id="pw" autocomplete="new-password" required placeholder="New password"><button>Save</button></form>`,
    submitScript(`{ticket:${JSON.stringify(ticket)},new_password:document.getElementById("pw").value}`),
  );
}

export function confirmEmailPage(ticket: string | undefined): Response {
  const title = "Confirm your new address";
  if (!ticket || !isUuid(ticket)) return invalid(title);
  return page(title, "<form><button>Confirm</button></form>", submitScript(`{ticket:${JSON.stringify(ticket)}}`));
}
