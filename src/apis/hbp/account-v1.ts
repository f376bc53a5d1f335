// Seed 001's older paths: POST /auth/account/activate, /auth/account/forgot, /auth/account/remove.
import { t } from "elysia";
import type { Exchange, HbpContext } from "./context.ts";

export const activateBody = t.Object({ ticket: t.String({ maxLength: 64 }) }, { additionalProperties: false });

/** Activates without starting a session (the old API answered 204). */
export async function activateV1(ctx: HbpContext, exchange: Exchange, ticket: string): Promise<void> {
  await ctx.core.activation.activate(ticket, exchange.client);
}
