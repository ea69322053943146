// SPDX-License-Identifier: Apache-2.0
// Certificates for the HTTPS tests (issue 18), made with the openssl CLI in a temporary dir.
import { spawnSync } from 'node:child_process';
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

function openssl(args, input) {
  const r = spawnSync('openssl', args, { input });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// A CA, and a certificate for 127.0.0.1 and localhost signed by it. `chain` holds the server
// certificate then the CA's (what --tls-cert takes: a PEM chain).
export function makePki(dir, cn = 'scolar test server') {
  const ca = join(dir, 'ca.pem'), caKey = join(dir, 'ca.key');
  if (!existsSync(ca)) {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
      '-keyout', caKey, '-out', ca, '-subj', '/CN=scolar test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  }
  const tag = cn.replace(/\W+/g, '-');
  const key = join(dir, `${tag}.key`), csr = join(dir, `${tag}.csr`), crt = join(dir, `${tag}.crt`);
  const ext = join(dir, `${tag}.ext`), chain = join(dir, `${tag}.chain.pem`);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr,
    '-subj', `/CN=${cn}`]);
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-days', '2',
    '-out', crt, '-extfile', ext]);
  writeFileSync(chain, readFileSync(crt, 'utf8') + readFileSync(ca, 'utf8'));
  return { ca, caPem: readFileSync(ca), key, crt, chain };
}


// Chromium's --ignore-certificate-errors-spki-list value for a certificate: base64 of the
// SHA-256 of its SubjectPublicKeyInfo (DER).
export function spkiHash(certFile) {
  const pub = openssl(['x509', '-in', certFile, '-pubkey', '-noout']);
  const der = openssl(['pkey', '-pubin', '-outform', 'der'], pub);
  return openssl(['dgst', '-sha256', '-binary'], der).toString('base64');
}
