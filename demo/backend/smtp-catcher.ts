/**
 * A local SMTP server that keeps what it receives: the demo's inbox (shown at
 * /mail) and the tests' real SMTP peer. It can be told to refuse, for a while
 * (4xx) or for good (5xx), to show what the outbox does then.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface CaughtMail {
  /** The envelope's recipients, as SMTP gave them. */
  rcptTo: string[];
  mailFrom: string;
  parsed: ParsedMail;
  raw: string;
  receivedAt: number;
}

export type CatcherMode = 'accept' | 'temporary-failure' | 'permanent-failure';

export async function startSmtpCatcher(port = 0, host = '127.0.0.1') {
  const mails: CaughtMail[] = [];
  const listeners = new Set<() => void>();
  let mode: CatcherMode = 'accept';
  let refused = 0;

  const server = new SMTPServer({
    authOptional: true,
    hideSTARTTLS: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (mode !== 'accept') {
          refused++;
          for (const listener of listeners) listener();
          const code = mode === 'temporary-failure' ? 451 : 550;
          return callback(Object.assign(new Error(mode === 'temporary-failure' ? 'Try again later' : 'Mailbox unavailable'), { responseCode: code }));
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            mails.push({
              rcptTo: session.envelope.rcptTo.map((r) => r.address),
              mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              parsed,
              raw: raw.toString('utf8'),
              receivedAt: Date.now(),
            });
            callback();
            for (const listener of listeners) listener();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  // A sender that drops its connection mid-session (a server killed with kill -9, say) is
  // routine for a catcher: smtp-server reports it as an 'error', which unheard would crash.
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.server.address() as AddressInfo).port;

  return {
    port: bound,
    url: `smtp://${host}:${bound}`,
    mails,
    /** How many messages were refused so far. */
    get refused() {
      return refused;
    },
    /** Accept, or refuse what arrives from now on. */
    setMode(next: CatcherMode) {
      mode = next;
    },
    /** Called whenever a mail arrives (tests wake their waiters with it). */
    onMail(listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type SmtpCatcher = Awaited<ReturnType<typeof startSmtpCatcher>>;
