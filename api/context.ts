// What handlers find on the Hono context: the authenticated principal and the
// request-scoped logger. Typed once here through ContextVariableMap, so `c.get()`
// needs no casts anywhere (requestId comes typed from hono/request-id).
import type { Logger } from 'pino';
import type { Role } from '../contract/index.js';

export interface Principal {
  /** the token's name: recorded as requestedBy / applied_by */
  name: string;
  role: Role;
  /** how the request proved it: Authorization header or session cookie */
  via: 'bearer' | 'cookie';
}

declare module 'hono' {
  interface ContextVariableMap {
    principal: Principal;
    logger: Logger;
  }
}
