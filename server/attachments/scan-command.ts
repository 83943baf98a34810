import { spawn } from 'node:child_process';

export type ScanVerdict = 'clean' | 'infected' | 'failed';

/**
 * A virus scan before a file is released: `command` runs in a shell with the file on its
 * standard input, and answers by its exit code as ClamAV's `clamdscan -` does: 0 clean,
 * 1 infected, anything else (or no answer within `timeoutMs`) failed. A file that was not
 * checked is never released.
 */
export function scanCommand(command: string, timeoutMs = 60_000) {
  return (bytes: AsyncIterable<Uint8Array>) =>
    new Promise<ScanVerdict>((resolve) => {
      const child = spawn(command, { shell: true, stdio: ['pipe', 'ignore', 'ignore'] });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', () => resolve('failed'));
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve(code === 0 ? 'clean' : code === 1 ? 'infected' : 'failed');
      });
      // A scanner may stop reading once it has decided: a closed pipe is its answer, not an error.
      child.stdin.on('error', () => undefined);
      void (async () => {
        for await (const chunk of bytes) {
          if (!child.stdin.write(chunk)) await new Promise((resume) => child.stdin.once('drain', resume));
        }
        child.stdin.end();
      })().catch(() => child.stdin.destroy());
    });
}
