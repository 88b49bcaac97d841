/**
 * How every process reaches Temporal: the address and namespace of lib/config.ts, plus TLS (a
 * client certificate for mTLS, a private CA, an SNI override) and an API key, read from the
 * variables Temporal's own clients use (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH,
 * TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME, TEMPORAL_TLS, TEMPORAL_API_KEY).
 * The same options suit the client's Connection and the worker's NativeConnection.
 */
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import type { Config } from './config';

export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
}

export class TemporalTlsError extends Error {
  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super(`${variable} ${reason}`);
    this.name = 'TemporalTlsError';
  }
}

type TemporalSettings = Pick<
  Config,
  | 'temporalAddress'
  | 'TEMPORAL_API_KEY'
  | 'TEMPORAL_TLS'
  | 'TEMPORAL_TLS_CLIENT_CERT_PATH'
  | 'TEMPORAL_TLS_CLIENT_KEY_PATH'
  | 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'
  | 'TEMPORAL_TLS_SERVER_NAME'
>;

/** Connection options from the configuration; certificate files are read here (errors name the variable). */
export function temporalConnectionOptions(config: TemporalSettings): TemporalConnectionOptions {
  const cert = config.TEMPORAL_TLS_CLIENT_CERT_PATH;
  const key = config.TEMPORAL_TLS_CLIENT_KEY_PATH;
  if ((cert === undefined) !== (key === undefined))
    throw new TemporalTlsError(
      cert === undefined ? 'TEMPORAL_TLS_CLIENT_CERT_PATH' : 'TEMPORAL_TLS_CLIENT_KEY_PATH',
      'the client certificate and its key go together (set both or neither)',
    );
  const customised =
    cert !== undefined || config.TEMPORAL_TLS_SERVER_CA_CERT_PATH !== undefined || config.TEMPORAL_TLS_SERVER_NAME;
  const wanted =
    config.TEMPORAL_TLS === 'true' ||
    (config.TEMPORAL_TLS === undefined && (customised || config.TEMPORAL_API_KEY !== undefined));
  if (config.TEMPORAL_TLS === 'false' && (customised || config.TEMPORAL_API_KEY !== undefined))
    throw new TemporalTlsError('TEMPORAL_TLS', 'is false while TLS settings or an API key are given');

  const options: TemporalConnectionOptions = { address: config.temporalAddress };
  if (config.TEMPORAL_API_KEY) options.apiKey = config.TEMPORAL_API_KEY;
  if (!wanted) return options;
  const tls: TLSConfig = {};
  if (cert !== undefined && key !== undefined)
    tls.clientCertPair = {
      crt: readPem('TEMPORAL_TLS_CLIENT_CERT_PATH', cert),
      key: readPem('TEMPORAL_TLS_CLIENT_KEY_PATH', key),
    };
  if (config.TEMPORAL_TLS_SERVER_CA_CERT_PATH)
    tls.serverRootCACertificate = readPem('TEMPORAL_TLS_SERVER_CA_CERT_PATH', config.TEMPORAL_TLS_SERVER_CA_CERT_PATH);
  if (config.TEMPORAL_TLS_SERVER_NAME) tls.serverNameOverride = config.TEMPORAL_TLS_SERVER_NAME;
  options.tls = Object.keys(tls).length > 0 ? tls : true;
  return options;
}

function readPem(variable: string, path: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new TemporalTlsError(variable, `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!bytes.includes('-----BEGIN ')) throw new TemporalTlsError(variable, `${path} is not a PEM file`);
  return bytes;
}
