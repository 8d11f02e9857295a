/**
 * Connecting to Temporal the way the `temporal` CLI does (`@temporalio/envconfig`: TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, TLS files, API key, profiles), and the search attributes this project registers.
 */
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from './shared';

export interface TemporalSettings {
  address: string;
  namespace: string;
  connectConfig: ReturnType<typeof loadClientConnectConfig>;
}

export function temporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const connectConfig = loadClientConnectConfig({
    overrideEnvVars: Object.fromEntries(
      Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ),
  });
  return {
    address: connectConfig.connectionOptions.address ?? 'localhost:7233',
    namespace: connectConfig.namespace ?? 'default',
    connectConfig,
  };
}

/** Thrown when Temporal cannot be reached; names the address and how to change it. */
export class TemporalUnreachableError extends Error {
  override readonly name = 'TemporalUnreachableError';
}

export async function connectClient(settings: TemporalSettings = temporalSettings()): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...settings.connectConfig.connectionOptions, connectTimeout: '5 seconds' });
  } catch (err) {
    throw new TemporalUnreachableError(
      `Cannot reach Temporal at ${settings.address} (namespace ${settings.namespace}): ${(err as Error).message}. ` +
        'Start it with `npm run dev`, or set TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE, TLS, TEMPORAL_API_KEY) as for the temporal CLI.',
    );
  }
  return new Client({ connection, namespace: settings.namespace });
}

const INDEXED_VALUE_TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  DATETIME: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
};

/**
 * Registers TeamRole, IncomingMember, CurrentMember, NextHandoverAt and HandoverAcknowledged if missing. Returns a warning
 * instead of failing where the caller may not manage the namespace (Temporal Cloud: use tcld / the UI).
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<string | null> {
  try {
    const known = await knownSearchAttributes(connection, namespace);
    const missing = SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name));
    if (missing.length === 0) return null;
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED_VALUE_TYPES[key.type]!])),
    });
    return null;
  } catch (err) {
    return `Could not register search attributes ${SEARCH_ATTRIBUTES.map((k) => k.name).join(', ')} in namespace ${namespace}: ${(err as Error).message}. Register them yourself (Keyword, Keyword, Keyword, Datetime, Bool).`;
  }
}

/** Names already registered; empty where the server cannot list them (the Java test server adds only). */
async function knownSearchAttributes(connection: Connection, namespace: string): Promise<Set<string>> {
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    return new Set([...Object.keys(existing.customAttributes ?? {}), ...Object.keys(existing.systemAttributes ?? {})]);
  } catch (err) {
    if ((err as { code?: number }).code === 12 /* UNIMPLEMENTED */) return new Set();
    throw err;
  }
}
