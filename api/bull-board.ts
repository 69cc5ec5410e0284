// bull-board at /admin/queues for ops (admin role only; the session cookie works
// for browsers), on the same Queue instance the API uses.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Env, Hono } from 'hono';
import { requireRole } from './auth.js';
import type { MigrationQueue } from './jobs.js';

export const BULL_BOARD_PATH = '/admin/queues';

export interface BullBoardOptions {
  queue: MigrationQueue;
  basePath?: string;
}

export function registerBullBoard(app: Hono<Env>, { queue, basePath = BULL_BOARD_PATH }: BullBoardOptions): void {
  const serverAdapter = new HonoAdapter(serveStatic).setBasePath(basePath);
  createBullBoard({ queues: [new BullMQAdapter(queue)], serverAdapter, options: { uiConfig: { boardTitle: 'duckmig' } } });
  const adminOnly = requireRole('admin');
  app.use(basePath, adminOnly);
  app.use(`${basePath}/*`, adminOnly);
  app.route(basePath, serverAdapter.registerPlugin());
}
