/**
 * A QR worker thread: receives batches of (text, file) from the pool in qr-pool.ts, writes the
 * PNGs and answers with their sizes and SHA-256 (or the first failure).
 */
import { parentPort } from 'node:worker_threads';
import { writeQrBatch } from './qr-png.js';

/** A batch sent to a worker. */
export interface QrJobMessage {
  id: number;
  texts: string[];
  files: string[];
}

parentPort?.on('message', (job: QrJobMessage) => {
  const { results, failure } = writeQrBatch(job.texts, job.files);
  parentPort!.postMessage({ id: job.id, results, failure });
});
