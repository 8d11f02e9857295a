/** The project's folder, temporary folders and free ports for tests. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

/** A temporary folder removed by `cleanup()`. */
export function tempDir(prefix: string): { dir: string; file(name: string, content: string): string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `team-roles-${prefix}-`));
  return {
    dir,
    file(name, content) {
      const file = path.join(dir, name);
      writeFileSync(file, content);
      return file;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A TCP port that is free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
