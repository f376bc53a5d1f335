// A small GitHub on a loopback port, for latchkey's GitHub sign-in through HBP's GITHUB_AUTHORIZATION_URL,
// GITHUB_TOKEN_URL and GITHUB_USER_PROFILE_URL (GitHub Enterprise's layout: the API under /api/v3). It speaks GitHub's
// OAuth as GitHub does: the authorize page sends the browser straight back with a code and the state (as if the
// person approved); the token endpoint checks the client's id and secret, the code (single use, for the redirect_uri
// it was given for) and answers JSON or a form as Accept asks, with errors as 200 + `error`, like GitHub; the user
// API wants the access token as a Bearer. Knobs change what the next sign-in sees. Its client secret, codes and
// access tokens are remembered as secrets (test/support/secrets.ts): no latchkey log may hold them.
import { rememberSecret } from "./secrets.ts";

export interface GitHubUser {
  id: number;
  login: string;
  name: string | null;
  avatar_url: string;
  /** The public address on the profile (null: none public). */
  email: string | null;
}

export interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
  visibility: "public" | "private" | null;
}

/** What the fake answers wrong, when asked to. */
export type GitHubFailure =
  /** The authorize page sends the browser back with error=access_denied (the person said no). */
  | "deny"
  /** The token endpoint answers 200 with error=bad_verification_code, as GitHub does for a bad or used code. */
  | "token"
  /** GET /user answers 500. */
  | "user"
  /** GET /user/emails answers 403 (a token without the user:email scope). */
  | "emails";

export interface FakeGitHub {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The settings that point latchkey's GitHub sign-in here. */
  env: Record<string, string>;
  clientId: string;
  clientSecret: string;
  /** The account that signs in next, and its addresses (see the helpers below). */
  user: GitHubUser;
  emails: GitHubEmail[];
  /** Set to make the next calls fail; null: all is well. */
  failure: GitHubFailure | null;
  /** The query of each authorize request, in order (scope, state, redirect_uri ...). */
  readonly authorizeRequests: URLSearchParams[];
  /** How many codes were exchanged for a token. */
  readonly tokensIssued: number;
  stop(): Promise<void>;
}

/** A GitHub account whose primary address is verified (or not), shown publicly (or not). */
export function gitHubAccount(options: { id: number; login: string; name?: string | null; email: string; verified: boolean; publicEmail?: boolean }): {
  user: GitHubUser;
  emails: GitHubEmail[];
} {
  const publicEmail = options.publicEmail ?? true;
  return {
    user: {
      id: options.id,
      login: options.login,
      name: options.name === undefined ? `${options.login} Person` : options.name,
      avatar_url: `https://avatars.githubusercontent.com/u/${options.id}?v=4`,
      email: publicEmail ? options.email : null,
    },
    emails: [
      { email: options.email, primary: true, verified: options.verified, visibility: publicEmail ? "public" : "private" },
      { email: `${options.id}+${options.login}@users.noreply.github.com`, primary: false, verified: true, visibility: null },
    ],
  };
}

export async function startFakeGitHub(): Promise<FakeGitHub> {
  const clientId = "Iv1.fakegithubclient";
  const clientSecret = "fake-github-client-secret-0123456789";
  /** code -> the redirect_uri it was issued for; deleted when exchanged. */
  const codes = new Map<string, string>();
  const accessTokens = new Set<string>();
  const authorizeRequests: URLSearchParams[] = [];
  let tokensIssued = 0;
  const account = gitHubAccount({ id: 583231, login: "octocat", name: "The Octocat", email: "octocat@example.com", verified: true });

  rememberSecret("github client secret", clientSecret);
  // The handlers below read the knobs from `state`, made once the port is known (before any request can arrive).
  let state!: FakeGitHub;

  const json = (body: unknown, status = 200) => Response.json(body, { status });

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      if (request.method === "GET" && url.pathname === "/login/oauth/authorize") return authorize(url);
      if (request.method === "POST" && url.pathname === "/login/oauth/access_token") return exchange(request);
      if (request.method === "GET" && url.pathname === "/api/v3/user") return withToken(request, () => (state.failure === "user" ? json({ message: "Server Error" }, 500) : json(state.user)));
      if (request.method === "GET" && url.pathname === "/api/v3/user/emails") {
        return withToken(request, () =>
          state.failure === "emails"
            ? json({ message: "Resource not accessible by integration", documentation_url: "https://docs.github.com/rest" }, 403)
            : json(state.emails),
        );
      }
      return json({ message: "Not Found" }, 404);
    },
  });

  function authorize(url: URL): Response {
    authorizeRequests.push(url.searchParams);
    const redirectUri = url.searchParams.get("redirect_uri");
    if (url.searchParams.get("client_id") !== clientId || redirectUri === null) return new Response("unknown client or no redirect_uri", { status: 400 });
    const back = new URL(redirectUri);
    const stateParam = url.searchParams.get("state");
    if (state.failure === "deny") {
      back.searchParams.set("error", "access_denied");
      back.searchParams.set("error_description", "The user has denied your application access.");
    } else {
      const code = crypto.randomUUID().replaceAll("-", "").slice(0, 20);
      codes.set(code, redirectUri);
      rememberSecret("github code", code);
      back.searchParams.set("code", code);
    }
    if (stateParam !== null) back.searchParams.set("state", stateParam);
    return new Response(null, { status: 302, headers: { Location: back.toString() } });
  }

  async function exchange(request: Request): Promise<Response> {
    const body = new URLSearchParams(await request.text());
    // The client authenticates with HTTP Basic (arctic) or in the form, as GitHub accepts both.
    const basic = /^Basic (.+)$/.exec(request.headers.get("authorization") ?? "");
    const [id, secret] = basic ? Buffer.from(basic[1]!, "base64").toString().split(":") : [body.get("client_id"), body.get("client_secret")];
    const answer = (fields: Record<string, string>) =>
      (request.headers.get("accept") ?? "").includes("application/json")
        ? json(fields)
        : new Response(new URLSearchParams(fields).toString(), { headers: { "Content-Type": "application/x-www-form-urlencoded; charset=utf-8" } });
    if (id !== clientId || secret !== clientSecret) {
      return answer({ error: "incorrect_client_credentials", error_description: "The client_id and/or client_secret passed are incorrect." });
    }
    const code = body.get("code") ?? "";
    const issuedFor = codes.get(code);
    codes.delete(code);
    const redirectUri = body.get("redirect_uri");
    if (state.failure === "token" || issuedFor === undefined || (redirectUri !== null && redirectUri !== issuedFor)) {
      return answer({ error: "bad_verification_code", error_description: "The code passed is incorrect or expired." });
    }
    const accessToken = `gho_${crypto.randomUUID().replaceAll("-", "")}`;
    accessTokens.add(accessToken);
    rememberSecret("github access token", accessToken);
    tokensIssued++;
    return answer({ access_token: accessToken, token_type: "bearer", scope: "user:email" });
  }

  function withToken(request: Request, answer: () => Response): Response {
    const bearer = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "");
    if (!bearer || !accessTokens.has(bearer[1]!)) return json({ message: "Bad credentials", documentation_url: "https://docs.github.com/rest" }, 401);
    return answer();
  }

  const url = `http://127.0.0.1:${server.port}`;
  state = {
    url,
    env: {
      GITHUB_ENABLED: "true",
      GITHUB_CLIENT_ID: clientId,
      GITHUB_CLIENT_SECRET: clientSecret,
      GITHUB_AUTHORIZATION_URL: `${url}/login/oauth/authorize`,
      GITHUB_TOKEN_URL: `${url}/login/oauth/access_token`,
      GITHUB_USER_PROFILE_URL: `${url}/api/v3/user`,
    },
    clientId,
    clientSecret,
    user: account.user,
    emails: account.emails,
    failure: null,
    authorizeRequests,
    get tokensIssued() {
      return tokensIssued;
    },
    async stop() {
      await server.stop(true);
    },
  };
  return state;
}
