// The test mail: what `latchkey mail test <address>` and the console's "send a test mail" send, now and not through
// the queue, so the mail server's answer (or refusal) comes back to whoever asked.
export const TEST_MAIL = {
  subject: "latchkey test mail",
  text: "This mail was sent by latchkey to test its mail settings. It arrived, so they work.\n",
  html: "<p>This mail was sent by latchkey to test its mail settings. It arrived, so they work.</p>",
};
