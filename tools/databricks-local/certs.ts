/**
 * A throwaway self-signed TLS certificate for 127.0.0.1 / localhost, made at
 * start. Clients trust it by passing its PEM as the driver's `customCaCert`.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface TlsMaterial {
  /** PEM certificate: also the CA the client must trust. */
  readonly cert: string;
  /** PEM private key. */
  readonly key: string;
}

export async function makeCertificate(): Promise<TlsMaterial> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + 7 * 24 * 3600_000);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** Write the certificate to a fresh temporary folder (or `dir`) and return the file path. */
export function writeCaCertFile(cert: string, dir?: string): string {
  const folder = dir ?? mkdtempSync(join(tmpdir(), 'databricks-local-'));
  const path = join(folder, 'ca.pem');
  writeFileSync(path, cert, { mode: 0o600 });
  return path;
}
