// What handlers find on the Hono context: the authenticated principal. Typed once here
// through ContextVariableMap, so `c.get()` needs no casts anywhere (the request id and
// the request's logger are typed where they are set: request-id.ts, request-log.ts).
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
  }
}
