/** A TCP proxy on a free loopback port that can cut every open connection, as a flaky network or a proxy timeout does. */
import net from 'node:net';

export async function startCuttingProxy(target: string) {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  let hanging = false;
  let hung = 0;
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    if (hanging) {
      // Accepted, never answered: what a half-dead balancer or a captive portal does.
      hung++;
      return;
    }
    const upstream = net.connect(Number(port), hostname);
    sockets.add(upstream);
    // One side gone (the server down or restarting, the client away): the other is dropped too.
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    /** Drops every connection open now, mid-stream, without a goodbye. */
    cut() {
      for (const s of sockets) s.destroy();
    },
    /** From now on, new connections are accepted and never answered (or, with false, forwarded again). */
    hang(on: boolean) {
      hanging = on;
    },
    /** Connections accepted while hanging. */
    get hung() {
      return hung;
    },
    get connections() {
      return sockets.size / 2;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
