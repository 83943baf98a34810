import net from 'node:net';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { startSmtpCatcher } from '../../demo/backend/smtp-catcher.js';
import { waiter } from '../helpers/waiting.js';

describe('the demo’s SMTP catcher', () => {
  it('shrugs off a sender that resets its connection mid-session, and keeps catching mail', async () => {
    const catcher = await startSmtpCatcher();
    try {
      // A sender killed with kill -9 in the middle of a message: its socket ends in a reset.
      // (smtp-server lets a reset outside a transaction pass; inside one it reports an error.)
      const dropped = net.connect(catcher.port, '127.0.0.1');
      const reply = () => new Promise((resolve) => dropped.once('data', resolve));
      await reply();
      dropped.write('EHLO sender.test\r\n');
      await reply();
      dropped.write('MAIL FROM:<shop@example.test>\r\n');
      await reply();
      dropped.resetAndDestroy();

      const arrived = waiter();
      catcher.onMail(arrived.poke);
      await nodemailer.createTransport({ url: catcher.url }).sendMail({ from: 'shop@example.test', to: 'ann@example.test', subject: 'Still here', text: 'Hello' });
      await arrived.until(() => catcher.mails.length === 1, 'the mail after the reset');
      expect(catcher.mails[0]!.parsed.subject).toBe('Still here');
    } finally {
      await catcher.close();
    }
  });
});
