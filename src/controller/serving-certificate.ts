/**
 * A TLS serving certificate and key read from files — a mounted kubernetes.io/tls Secret, renewed by cert-manager or
 * replaced by Helm — and read again whenever they change, so that a renewed certificate is served without a restart.
 *
 * The kubelet updates a Secret volume atomically: the files are symlinks into a `..data` symlink that it points at a
 * new folder. Watching a file would keep following the old one, so this watches the folders the files are in (any
 * change there triggers a read) and, in case an event is missed, also compares the files every `pollMs`. A pair that
 * does not load (half written, key and certificate not matching) is not taken: the last good one stays, and the
 * next change tries again.
 *
 *   const certificate = new ServingCertificate({ certFile, keyFile, logger, onChange: (pair) => server.setSecureContext(pair) });
 *   const first = certificate.load(); // throws a clear error when the files cannot be used
 *   certificate.watch();
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { Logger } from './logger.ts';

export interface CertificatePair {
  cert: string;
  key: string;
}

export interface ServingCertificateOptions {
  certFile: string;
  keyFile: string;
  logger: Logger;
  /** Called with every new pair that loads. */
  onChange: (pair: CertificatePair, info: CertificateInfo) => void;
  /** How often the files are compared even without a change event (default 10 s). */
  pollMs?: number;
}

export interface CertificateInfo {
  serialNumber: string;
  subject: string;
  validTo: string;
}

export class ServingCertificateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServingCertificateError';
  }
}

export class ServingCertificate {
  private readonly opts: ServingCertificateOptions & { pollMs: number };
  private current: CertificatePair | undefined;
  /** The content of the last pair that failed to load: warned about once, tried again when it changes. */
  private failed: string | undefined;
  private watchers: FSWatcher[] = [];
  private poll: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;

  constructor(options: ServingCertificateOptions) {
    this.opts = { pollMs: 10_000, ...options };
  }

  /** Reads and checks the pair; the first call's result is what the server starts with. */
  load(): CertificatePair & { info: CertificateInfo } {
    const read = (file: string, what: string): string => {
      try {
        return readFileSync(file, 'utf8');
      } catch (error) {
        throw new ServingCertificateError(`Cannot read the admission webhook's ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
    };
    const cert = read(this.opts.certFile, 'certificate');
    const key = read(this.opts.keyFile, 'key');
    let info: CertificateInfo;
    try {
      const x509 = new X509Certificate(cert);
      if (!x509.checkPrivateKey(createPrivateKey(key))) {
        throw new ServingCertificateError(`The admission webhook's key ${this.opts.keyFile} does not belong to the certificate ${this.opts.certFile}`);
      }
      createSecureContext({ cert, key });
      info = { serialNumber: x509.serialNumber, subject: x509.subject, validTo: x509.validTo };
    } catch (error) {
      if (error instanceof ServingCertificateError) throw error;
      throw new ServingCertificateError(`The admission webhook's certificate ${this.opts.certFile} and key ${this.opts.keyFile} cannot be used: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.current = { cert, key };
    return { cert, key, info };
  }

  /** Starts noticing changes. */
  watch(): void {
    for (const dir of new Set([dirname(this.opts.certFile), dirname(this.opts.keyFile)])) {
      try {
        const w = watch(dir, { persistent: false }, () => this.changed());
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch (error) {
        this.opts.logger.warn('cannot watch the admission certificate folder; comparing the files periodically only', { dir, error: String(error) });
      }
    }
    this.poll = setInterval(() => this.check(), this.opts.pollMs);
    this.poll.unref();
  }

  stop(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    clearInterval(this.poll);
    clearTimeout(this.debounce);
  }

  /** A change event: the kubelet's swap comes as several events; read once they stop. */
  private changed(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.check(), 50);
    this.debounce.unref();
  }

  /** Reads the files; takes a new pair that loads. Returns whether it took one. */
  check(): boolean {
    let cert: string;
    let key: string;
    try {
      cert = readFileSync(this.opts.certFile, 'utf8');
      key = readFileSync(this.opts.keyFile, 'utf8');
    } catch {
      return false; // mid-swap, or gone: the next event or poll tries again
    }
    if (this.current && cert === this.current.cert && key === this.current.key) return false;
    if (this.failed === cert + key) return false;
    const previous = this.current;
    try {
      const loaded = this.load();
      this.failed = undefined;
      this.opts.onChange({ cert: loaded.cert, key: loaded.key }, loaded.info);
      this.opts.logger.info('admission webhook certificate reloaded', { certFile: this.opts.certFile, serialNumber: loaded.info.serialNumber, validTo: loaded.info.validTo });
      return true;
    } catch (error) {
      this.current = previous;
      this.failed = cert + key;
      this.opts.logger.warn('admission webhook certificate changed but cannot be used; serving the previous one', { error: error instanceof Error ? error.message : String(error) });
      return false;
    }
  }
}
