import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { KhaosError } from '../core/errors.js';
import { dashboardApp, type DashboardAppOptions } from './server.js';

export interface RunningDashboard {
  /** The address to open, e.g. http://127.0.0.1:8790/. */
  url: string;
  close(): Promise<void>;
}

/**
 * Binds the dashboard to `host:port` (port 0: any free one). Throws KhaosError('environment')
 * naming the port when it is in use, or the host when it cannot be bound.
 */
export function startDashboard(o: DashboardAppOptions & { port: number }): Promise<RunningDashboard> {
  const app = dashboardApp(o);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: o.port, hostname: o.host });
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new KhaosError('environment', `port ${o.port} is in use on ${o.host}`, 'give another with --port N (or stop what listens there)'));
      else reject(new KhaosError('environment', `cannot listen on ${o.host}:${o.port}: ${e.message}`, 'check --host (an address of this machine) and --port'));
    });
    server.once('listening', () => {
      const { port } = server.address() as AddressInfo;
      const shown = o.host.includes(':') ? `[${o.host}]` : o.host;
      resolve({
        url: `http://${shown}:${port}/`,
        // Open event streams would hold close() forever: end them.
        close: () => new Promise<void>((r) => { (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}
