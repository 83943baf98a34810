import http from 'node:http';
import { verifyWebhook } from 'closeloop/sdk';

interface TicketEvent {
  type: string;
  data: { ticket: { id: string; status: string } };
}

// Verify before you trust: the raw body, exactly as received, and the headers.
export function webhookReceiver(onEvent: (event: TicketEvent) => void) {
  return http.createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    try {
      const event = await verifyWebhook<TicketEvent>(process.env.CLOSELOOP_WEBHOOK_SECRET!, body, req.headers);
      onEvent(event);
      res.writeHead(204).end();
    } catch {
      res.writeHead(401).end();
    }
  });
}
