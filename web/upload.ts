/**
 * The import form's upload, read with busboy (a maintained streaming multipart parser) within
 * limits: one file of at most 40 Mo, a few short text fields. Anything beyond a limit, or a body
 * that is not multipart/form-data, is refused with a French reason instead of being buffered.
 */
import busboy from 'busboy';
import type { Request } from 'express';

export const UPLOAD_MAX_BYTES = 40 * 1024 * 1024;

export interface Upload {
  fields: Map<string, string>;
  file: { field: string; filename: string; mimeType: string; content: Buffer } | null;
}

export class UploadError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

export function readUpload(req: Request, maxBytes = UPLOAD_MAX_BYTES): Promise<Upload> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 10 * 1024, parts: 12 },
      });
    } catch {
      return reject(new UploadError(400, 'Formulaire d’envoi invalide (multipart/form-data attendu).'));
    }
    const upload: Upload = { fields: new Map(), file: null };
    let failed: UploadError | null = null;
    const fail = (e: UploadError) => {
      failed ??= e;
    };
    bb.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(new UploadError(400, `Champ « ${name} » trop long.`));
      else upload.fields.set(name, value);
    });
    bb.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () =>
        fail(new UploadError(413, `Fichier trop volumineux (${Math.round(maxBytes / 1024 / 1024)} Mo au plus).`)),
      );
      stream.on('close', () => {
        if (!failed)
          upload.file = {
            field,
            filename: info.filename ?? '',
            mimeType: info.mimeType,
            content: Buffer.concat(chunks),
          };
      });
    });
    for (const event of ['filesLimit', 'fieldsLimit', 'partsLimit'] as const)
      bb.on(event, () => fail(new UploadError(400, 'Le formulaire contient trop de champs ou de fichiers.')));
    bb.on('error', () => reject(new UploadError(400, 'Formulaire d’envoi invalide.')));
    bb.on('close', () => (failed ? reject(failed) : resolve(upload)));
    req.pipe(bb);
  });
}
