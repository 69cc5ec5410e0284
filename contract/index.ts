// The one contract shared by the API, the worker, the CLI and (as types) the UI:
// queue name, job payloads, progress events, runner results and HTTP bodies.
export * from './results.js';
export * from './events.js';
export * from './queue.js';
export * from './api.js';
export * from './plan.js';
export * from './schema.js';
export * from './fleet.js';
export * from './fleet-api.js';
export * from './notifications.js';
export * from './schedule.js';
export * from './drift.js';
export * from './approvals.js';
