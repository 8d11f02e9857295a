/**
 * Shared plumbing for the fake services: a node:http server on 127.0.0.1 and a random port, a request log,
 * and fault injection (latency, 429 with Retry-After, 5xx, dropped connections, calls held until a test lets them
 * go), either probabilistic with a seeded RNG or scripted per call. Self-contained (node:http only) so the sandbox
 * demo can run it too.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * `drop` destroys the connection before the service acts; `lostResponse` lets the service act (a message is posted)
 * and then destroys the connection, so the client never hears the answer: a worker killed between the service's
 * answer and Temporal's record of it looks the same from the service's side.
 */
export type FaultKind = 'rateLimit' | 'serverError' | 'drop' | 'lostResponse';

/** One scripted fault: applies to the next call(s) that match, before any probabilistic fault. */
export interface ScriptedFault {
  /** Which calls: a substring of "METHOD /path" (query excluded), a predicate, or every call when absent. */
  match?: string | ((request: FakeRequest) => boolean);
  /** What to do; 'none' lets the matching call through (useful to skip one call in a script). */
  kind: FaultKind | 'none';
  /** How many matching calls it applies to (default 1). */
  times?: number;
  /** For 'rateLimit': the Retry-After seconds (default `FaultOptions.retryAfterSeconds`, then 1). */
  retryAfterSeconds?: number;
  /** HTTP status to answer with (default 429 for 'rateLimit', 500 for 'serverError'). */
  status?: number;
  /** Service-specific reason, e.g. Google's "userRateLimitExceeded". */
  reason?: string;
  /** Extra latency for this call only. */
  latencyMs?: number;
  /**
   * Holds the call (logged, `held` set, the service not acting yet) until this settles, then goes on as `kind` says:
   * 'drop' then fails it unanswered and unstored, 'none' lets the service act. A test uses it to make something
   * happen at a chosen point of a call: a worker killed while its post is on the wire ("just before" Slack stores
   * it), an answer arriving while the check that would miss it is reading.
   */
  holdUntil?: Promise<unknown>;
}

export interface FaultOptions {
  /** Added to every call: a fixed delay, or a uniform random one between min and max. */
  latencyMs?: number | { min: number; max: number };
  /** Probability (0..1) that a call is answered 429. */
  rateLimitRate?: number;
  retryAfterSeconds?: number;
  /** Probability that a call is answered with a 5xx. */
  serverErrorRate?: number;
  serverErrorStatus?: number;
  /** Probability that the connection is destroyed without an answer. */
  dropRate?: number;
  /** Probability that the call takes effect but its answer is lost (the connection is destroyed after handling). */
  lostResponseRate?: number;
  /** Seed for the probabilistic faults (same seed, same faults). */
  seed?: number;
  /** Tried in order for each call; entries pushed onto it while the server runs take part like the others. */
  script?: ScriptedFault[];
}

export interface FakeRequest {
  method: string;
  /** The path without the query string, percent-decoding left to the service. */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON or form body (an object), the raw text otherwise, undefined when empty. */
  body: unknown;
}

export interface FakeResponse {
  status: number;
  /** Serialised as JSON unless a string (sent as text/plain) or undefined (no body). */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RecordedRequest {
  seq: number;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** The status sent, or undefined for a dropped connection. */
  status?: number;
  fault?: FaultKind;
  /** True while a scripted fault holds the call (`holdUntil`). */
  held?: boolean;
  startedAt: number;
  endedAt?: number;
}

export interface FaultContext {
  kind: FaultKind;
  status: number;
  retryAfterSeconds: number;
  reason?: string;
}

type ActiveFault = { kind: FaultKind } & Pick<ScriptedFault, 'status' | 'retryAfterSeconds' | 'reason'>;

export interface FakeServerOptions {
  name: string;
  handle: (request: FakeRequest) => FakeResponse | Promise<FakeResponse>;
  /** The service's wire format for an injected 429 or 5xx. */
  renderFault: (fault: FaultContext, request: FakeRequest) => FakeResponse;
  faults?: FaultOptions;
  /** Prefix of the returned url, e.g. "/api/" for Slack. */
  urlPath?: string;
}

/** mulberry32: a tiny seeded PRNG, good enough for fault injection. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAX_BODY_BYTES = 1024 * 1024;

export class FakeHttpServer {
  readonly requests: RecordedRequest[] = [];
  url = '';
  /** Requests being handled right now, and the most seen at once (to check client-side concurrency). */
  inFlight = 0;
  maxInFlight = 0;
  private readonly server: http.Server;
  private faultOptions: FaultOptions = {};
  private random: () => number = seededRandom(1);
  private scriptUses: number[] = [];
  private seq = 0;

  constructor(private readonly options: FakeServerOptions) {
    this.faults = options.faults ?? {};
    this.server = http.createServer((req, res) => {
      this.serve(req, res).catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`fake ${options.name} failed: ${err instanceof Error ? err.message : String(err)}`);
        } else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 1000;
  }

  get faults(): FaultOptions {
    return this.faultOptions;
  }

  /** Replacing the fault plan restarts its RNG and script. */
  set faults(value: FaultOptions) {
    this.faultOptions = value ?? {};
    this.random = seededRandom(this.faultOptions.seed ?? 1);
    this.scriptUses = (this.faultOptions.script ?? []).map(() => 0);
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}${this.options.urlPath ?? ''}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Forgets the logged requests (e.g. after seeding through the API). */
  clearRequests(): void {
    this.requests.length = 0;
    this.maxInFlight = this.inFlight;
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const text = await readBody(req);
    const request: FakeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: parseBody(text, req.headers['content-type']),
    };
    const record: RecordedRequest = {
      seq: ++this.seq,
      method: request.method,
      path: request.path,
      query: queryRecord(url.searchParams),
      headers: req.headers,
      body: request.body,
      startedAt: Date.now(),
    };
    this.requests.push(record);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const scripted = this.nextScripted(request);
      if (scripted?.holdUntil) {
        record.held = true;
        await scripted.holdUntil.catch(() => undefined);
        record.held = false;
      }
      const delay = this.latency() + (scripted?.latencyMs ?? 0);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));

      const fault: ActiveFault | undefined = scripted
        ? scripted.kind === 'none'
          ? undefined
          : { ...scripted, kind: scripted.kind }
        : this.randomFault();
      if (fault?.kind === 'drop') {
        record.fault = 'drop';
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'lostResponse') {
        record.fault = 'lostResponse';
        record.status = (await this.options.handle(request)).status;
        req.socket.destroy();
        return;
      }
      let response: FakeResponse;
      if (fault) {
        record.fault = fault.kind;
        response = this.options.renderFault(
          {
            kind: fault.kind,
            status: fault.status ?? (fault.kind === 'rateLimit' ? 429 : (this.faultOptions.serverErrorStatus ?? 500)),
            retryAfterSeconds: fault.retryAfterSeconds ?? this.faultOptions.retryAfterSeconds ?? 1,
            reason: fault.reason,
          },
          request,
        );
      } else {
        response = await this.options.handle(request);
      }
      record.status = response.status;
      send(res, response);
    } finally {
      record.endedAt = Date.now();
      this.inFlight -= 1;
    }
  }

  private nextScripted(request: FakeRequest): ScriptedFault | undefined {
    const script = this.faultOptions.script ?? [];
    for (let i = 0; i < script.length; i++) {
      const entry = script[i] as ScriptedFault;
      const uses = this.scriptUses[i] ?? 0;
      if (uses >= (entry.times ?? 1)) continue;
      const matches =
        entry.match === undefined ||
        (typeof entry.match === 'string'
          ? `${request.method} ${request.path}`.includes(entry.match)
          : entry.match(request));
      if (!matches) continue;
      this.scriptUses[i] = uses + 1;
      return entry;
    }
    return undefined;
  }

  private randomFault(): ActiveFault | undefined {
    const { rateLimitRate = 0, serverErrorRate = 0, dropRate = 0, lostResponseRate = 0 } = this.faultOptions;
    if (rateLimitRate + serverErrorRate + dropRate + lostResponseRate <= 0) return undefined;
    const roll = this.random();
    let bound = 0;
    for (const [rate, kind] of [
      [dropRate, 'drop'],
      [rateLimitRate, 'rateLimit'],
      [serverErrorRate, 'serverError'],
      [lostResponseRate, 'lostResponse'],
    ] as const) {
      bound += rate;
      if (roll < bound) return { kind };
    }
    return undefined;
  }

  private latency(): number {
    const latency = this.faultOptions.latencyMs;
    if (latency === undefined) return 0;
    if (typeof latency === 'number') return latency;
    return latency.min + Math.floor(this.random() * Math.max(0, latency.max - latency.min + 1));
  }
}

export async function startFakeServer(options: FakeServerOptions): Promise<FakeHttpServer> {
  const server = new FakeHttpServer(options);
  await server.listen();
  return server;
}

/**
 * A request's body as text. Past `maxBytes` it is read to the end but refused, so the server can still answer (a
 * destroyed request could not be).
 */
export function readBody(req: http.IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    req.on('end', () =>
      size > maxBytes
        ? reject(new Error(`request body too large (more than ${maxBytes} bytes)`))
        : resolve(Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
  });
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text === '') return undefined;
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text));
  if (type === 'application/json' || /^[[{"]/.test(text.trim())) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

function queryRecord(params: URLSearchParams): Record<string, string | string[]> {
  const record: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    record[key] = values.length === 1 ? (values[0] as string) : values;
  }
  return record;
}

function send(res: http.ServerResponse, response: FakeResponse): void {
  const headers: Record<string, string> = { ...response.headers };
  let payload: string | undefined;
  if (response.body !== undefined) {
    if (typeof response.body === 'string' && !headers['content-type']) {
      headers['content-type'] = 'text/plain; charset=utf-8';
      payload = response.body;
    } else {
      headers['content-type'] ??= 'application/json; charset=utf-8';
      payload = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
    }
  }
  res.writeHead(response.status, headers);
  res.end(payload);
}

/** A bearer token from the Authorization header, or undefined. */
export function bearerToken(headers: http.IncomingHttpHeaders): string | undefined {
  const value = headers.authorization;
  if (!value) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(value.trim());
  return match?.[1];
}

/** A random hex string for obviously fake test credentials. */
export function randomHex(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}
