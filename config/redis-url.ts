// REDIS_URL's forms, parsed without connecting: one Redis (`redis://`, `rediss://`, handed
// to ioredis as written), a Redis Cluster (`redis+cluster://`, `rediss+cluster://`: a few
// seed nodes) and a Sentinel group (`redis+sentinel://`, `rediss+sentinel://`: sentinels
// and the master's name). A bad URL is a RedisUrlError whose message never repeats any
// part of the URL (it may carry a password). docs/deployment.md explains each form.

export interface RedisNode {
  host: string;
  port: number;
}

interface Credentials {
  username: string | null;
  password: string | null;
  /** rediss…: TLS to every node */
  tls: boolean;
}

export type RedisTarget =
  | ({ kind: 'single'; url: string; node: RedisNode } & Credentials)
  | ({ kind: 'cluster'; nodes: RedisNode[] } & Credentials)
  | ({ kind: 'sentinel'; sentinels: RedisNode[]; masterName: string } & Credentials);

export class RedisUrlError extends Error {
  override readonly name = 'RedisUrlError';
}

/** What REDIS_URL must be (the start of every message about a bad one). */
export const REDIS_URL_RULE = 'a redis:// or rediss:// URL, or a redis+cluster:// or redis+sentinel:// URL listing its nodes';

/** The whole message for a bad REDIS_URL: the rule, what is wrong, an example; never the value. */
export const invalidRedisUrlMessage = (problem: string) => `REDIS_URL must be ${REDIS_URL_RULE}; ${problem} (example: REDIS_URL=redis://127.0.0.1:6379)`;

const SCHEME = /^(rediss?)(?:\+(cluster|sentinel))?:\/\/(.*)$/is;
const DEFAULT_PORT = { cluster: 6379, sentinel: 26379 } as const;

/** Parses REDIS_URL; throws RedisUrlError with a message that names the problem, never the value. */
export function parseRedisUrl(raw: string): RedisTarget {
  const scheme = SCHEME.exec(raw.trim());
  if (!scheme) throw new RedisUrlError('its scheme is none of redis://, rediss://, redis+cluster://, rediss+cluster://, redis+sentinel://, rediss+sentinel://');
  const tls = scheme[1]!.toLowerCase() === 'rediss';
  const topology = scheme[2]?.toLowerCase() as 'cluster' | 'sentinel' | undefined;
  if (!topology) return single(raw.trim(), tls);

  const rest = scheme[3]!;
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const tail = authorityEnd < 0 ? '' : rest.slice(authorityEnd);
  const at = authority.lastIndexOf('@');
  const credentials = { ...userInfo(at < 0 ? '' : authority.slice(0, at)), tls };
  const nodes = nodeList(at < 0 ? authority : authority.slice(at + 1), DEFAULT_PORT[topology], topology);
  if (tail.includes('#')) throw new RedisUrlError(`a ${topology} Redis URL takes no #fragment`);
  const [path = '', query = ''] = tail.split('?', 2) as [string?, string?];

  if (topology === 'cluster') {
    if (!['', '/', '/0'].includes(path)) throw new RedisUrlError('a Redis Cluster has only database 0: end a redis+cluster:// URL after its nodes (or with /0)');
    if (query) throw new RedisUrlError('a redis+cluster:// URL takes no ?parameters');
    return { kind: 'cluster', nodes, ...credentials };
  }
  const masterName = path.length > 1 ? decode(path.slice(1), 'the master name') : '';
  if (!masterName || masterName.includes('/')) {
    throw new RedisUrlError('a redis+sentinel:// URL names the master the sentinels watch after the nodes: redis+sentinel://host:26379,host:26380/mymaster');
  }
  for (const [name, value] of new URLSearchParams(query)) {
    if (name === 'role' && value === 'master') continue;
    throw new RedisUrlError('a redis+sentinel:// URL accepts only ?role=master (duckmig writes, so it always talks to the master)');
  }
  return { kind: 'sentinel', sentinels: nodes, masterName, ...credentials };
}

/** Where a target is, for messages and logs: hosts and ports, never credentials. */
export function redisTargetLocation(target: RedisTarget): string {
  const list = (nodes: readonly RedisNode[]) => nodes.map(nodeText).join(',');
  switch (target.kind) {
    case 'single':
      return nodeText(target.node);
    case 'cluster':
      return `cluster ${list(target.nodes)}`;
    case 'sentinel':
      return `sentinel master "${target.masterName}" via ${list(target.sentinels)}`;
  }
}

function single(url: string, tls: boolean): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RedisUrlError('this redis:// URL cannot be parsed (several hosts need redis+cluster:// or redis+sentinel://)');
  }
  const password = parsed.password ? decode(parsed.password, 'the password') : null;
  const username = parsed.username ? decode(parsed.username, 'the user name') : null;
  return { kind: 'single', url, node: { host: parsed.hostname.replace(/^\[|\]$/g, '') || 'localhost', port: Number(parsed.port || 6379) }, username, password, tls };
}

function userInfo(text: string): { username: string | null; password: string | null } {
  if (!text) return { username: null, password: null };
  const colon = text.indexOf(':');
  const user = colon < 0 ? text : text.slice(0, colon);
  const password = colon < 0 ? '' : text.slice(colon + 1);
  return { username: user ? decode(user, 'the user name') : null, password: password ? decode(password, 'the password') : null };
}

function nodeList(text: string, defaultPort: number, topology: string): RedisNode[] {
  const entries = text.split(',').map((entry) => entry.trim());
  if (entries.some((entry) => entry === '')) throw new RedisUrlError(`a ${topology} Redis URL lists its nodes as host:port separated by commas, none empty`);
  return entries.map((entry) => {
    const node = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(entry);
    const port = node?.[2] === undefined ? defaultPort : Number(node[2]);
    if (!node || port < 1 || port > 65535) throw new RedisUrlError(`a ${topology} Redis URL lists its nodes as host:port (a name, an IPv4 address or an [IPv6] address, a port from 1 to 65535), separated by commas`);
    return { host: node[1]!.replace(/^\[|\]$/g, ''), port };
  });
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new RedisUrlError(`${what} in the Redis URL is not valid percent-encoding`);
  }
}

const nodeText = (node: RedisNode) => (node.host.includes(':') ? `[${node.host}]:${node.port}` : `${node.host}:${node.port}`);
