/**
 * The benchmarks' side of bench/api-server.ts's IPC: its messages, and
 * waiting for one of them (or failing when the process reports an error or exits).
 */
import type { ChildProcess } from 'node:child_process';

export interface Ready {
  readonly type: 'ready';
  readonly port: number;
  /** The liveness thread's port (HEALTH_PORT), as the manifests' liveness probe uses it. */
  readonly healthPort: number;
  readonly apiKey: string;
  readonly subjects: [string, string][];
}

export function nextMessage<T extends { type: string }>(child: ChildProcess, type: T['type']): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type: string; message?: string }): void => {
      if (m.type === type) {
        cleanup();
        resolve(m as T);
      } else if (m.type === 'error') {
        cleanup();
        reject(new Error(m.message));
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`the service process exited (${code}) before '${type}'`));
    };
    const cleanup = (): void => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
