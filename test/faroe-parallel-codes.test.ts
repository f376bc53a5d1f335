// Faroe's verification and reset codes under parallel tries (issue 23, defect 11): only a wrong code counts, so ten
// calls with the right code at once neither count each other as failures nor destroy the request.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createFaroeUser, faroeCaller, startFaroeServer, type FaroeCaller } from "./support/faroe.ts";
import type { TestServer } from "./support/server.ts";

let server: TestServer;
let faroe: FaroeCaller;
beforeAll(async () => {
  server = await startFaroeServer();
  faroe = faroeCaller(server);
});
afterAll(() => server.stop());

const PARALLEL = 10;

function wrongCode(code: string): string {
  return code === "AAAAAAAA" ? "BBBBBBBB" : "AAAAAAAA";
}

describe("a password-reset request", () => {
  test("ten parallel verify-email calls with the right code all answer 204; the request survives and resets the password", async () => {
    const user = await createFaroeUser(faroe, "parallel-reset");
    const { id, code } = (await faroe("POST", "/password-reset", { json: { email: user.email } })).body;
    const results = await Promise.all(
      Array.from({ length: PARALLEL }, () => faroe("POST", `/password-reset/${id}/verify-email`, { json: { code } })),
    );
    expect(results.map((res) => ({ status: res.status, body: res.body }))).toEqual(Array(PARALLEL).fill({ status: 204, body: "" }));

    const request = await faroe("GET", `/password-reset/${id}`);
    expect(request.status).toBe(200);
    expect(request.body.email_verified).toBe(true);
    const reset = await faroe("POST", "/reset-password", { json: { request_id: id, password: "parallel-new-password" } });
    expect(reset.status).toBe(200);
    expect((await faroe("POST", "/login/password", { json: { email: user.email, password: "parallel-new-password" } })).status).toBe(200);
  });

  test("the right code gives its try back: 4 wrong, the right one, then 5 more wrong before the request goes", async () => {
    const user = await createFaroeUser(faroe, "refund-reset");
    const { id, code } = (await faroe("POST", "/password-reset", { json: { email: user.email } })).body;
    const verify = (tried: string) => faroe("POST", `/password-reset/${id}/verify-email`, { json: { code: tried } });
    for (let attempt = 1; attempt <= 4; attempt++) expect((await verify(wrongCode(code))).body).toEqual({ error: "INCORRECT_CODE" });
    expect((await verify(code)).status).toBe(204);
    for (let attempt = 1; attempt <= 5; attempt++) expect((await verify(wrongCode(code))).body).toEqual({ error: "INCORRECT_CODE" });
    expect((await verify(code)).body).toEqual({ error: "TOO_MANY_REQUESTS" });
    expect((await faroe("GET", `/password-reset/${id}`)).status).toBe(404);
  });

  test("ten parallel wrong codes still stop at five: the request is deleted, not guessed past its limit", async () => {
    const user = await createFaroeUser(faroe, "parallel-wrong");
    const { id, code } = (await faroe("POST", "/password-reset", { json: { email: user.email } })).body;
    const results = await Promise.all(
      Array.from({ length: PARALLEL }, () => faroe("POST", `/password-reset/${id}/verify-email`, { json: { code: wrongCode(code) } })),
    );
    const errors = results.map((res) => res.body.error).sort();
    // Five wrong codes are compared; the sixth try deletes the request, and the tries after it find none.
    expect(errors.filter((error) => error === "INCORRECT_CODE").length).toBe(5);
    expect(errors.filter((error) => error === "TOO_MANY_REQUESTS").length).toBe(1);
    expect((await faroe("GET", `/password-reset/${id}`)).status).toBe(404);
  });
});

describe("an email-verification request", () => {
  test("ten parallel verify-email calls with the right code: the first verifies, the rest find it used up", async () => {
    const user = await createFaroeUser(faroe, "parallel-verify");
    const request = (await faroe("POST", `/users/${user.id}/email-verification`, { json: { email: user.email } })).body;
    const results = await Promise.all(
      Array.from({ length: PARALLEL }, () =>
        faroe("POST", `/users/${user.id}/verify-email`, { json: { request_id: request.id, code: request.code } }),
      ),
    );
    const verified = results.filter((res) => res.status === 200);
    expect(verified.length).toBe(1);
    expect(verified[0]!.body).toMatchObject({ id: user.id, email_verified: true });
    const others = results.filter((res) => res.status !== 200).map((res) => ({ status: res.status, body: res.body }));
    expect(others).toEqual(Array(PARALLEL - 1).fill({ status: 400, body: { error: "INVALID_REQUEST_ID" } }));
    expect((await faroe("GET", `/users/${user.id}`)).body.email_verified).toBe(true);
  });

  test("the right code does not count as a failure: 4 wrong, then the right one verifies", async () => {
    const user = await createFaroeUser(faroe, "refund-verify");
    const request = (await faroe("POST", `/users/${user.id}/email-verification`, { json: { email: user.email } })).body;
    const verify = (code: string) => faroe("POST", `/users/${user.id}/verify-email`, { json: { request_id: request.id, code } });
    const [wrongs, right] = [await Promise.all(Array.from({ length: 4 }, () => verify(wrongCode(request.code)))), await verify(request.code)];
    expect(wrongs.map((res) => res.body)).toEqual(Array(4).fill({ error: "INCORRECT_CODE" }));
    expect(right.body).toMatchObject({ id: user.id, email_verified: true });
  });
});
